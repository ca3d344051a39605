import { pino, type Logger as Pino } from 'pino';
import { createArgon2Hasher } from './adapters/argon2-hasher.js';
import { createAuditSink } from './adapters/audit-sink.js';
import { createLogMailer, createSmtpMailer } from './adapters/mailer.js';
import { createWebhookNotifier, type WebhookNotifier } from './adapters/webhook.js';
import { createMetrics, type Metrics } from './adapters/metrics.js';
import { loadCommonPasswords } from './adapters/common-passwords.js';
import { createMemoryActivityWindow } from './cache/memory-activity-window.js';
import { openCache } from './cache/index.js';
import { createMemoryRevocationFeedSignal } from './cache/memory-revocation-feed-signal.js';
import { resolveSecret, type ServerConfig } from './config.js';
import { normalizeEmail } from './core/accounts/email.js';
import { prepareUser } from './core/accounts/register.js';
import { dummyHash } from './core/accounts/sign-in.js';
import { isAlert, withSuspiciousActivityDetection } from './core/alerts/suspicious-activity.js';
import type { CoreDeps } from './core/deps.js';
import { deriveKeyEncryptionKey } from './core/keys/key-material.js';
import { KeyRing } from './core/keys/key-ring.js';
import { deriveMfaKey } from './core/mfa/secret-box.js';
import { CODE_RETENTION_MS } from './core/oauth/authorization-code.js';
import { deriveCsrfKey } from './core/sessions/csrf.js';
import { announcingSessionStore, SessionLiveness } from './core/sessions/session-liveness.js';
import { AccessTokenVerifier } from './core/tokens/access-token.js';
import type { Clock, Health, PasswordHasher } from './ports.js';
import { openStores, type Stores } from './store/index.js';

/** Ended sessions are kept this long so a client can still be told why it was signed out. */
const ENDED_RETENTION_MS = 30 * 86_400_000;
const PURGE_EVERY_MS = 10 * 60_000;
const REVOCATION_PURGE_GRACE_MS = 5 * 60_000;

export interface Latchkey {
  config: ServerConfig;
  deps: CoreDeps;
  stores: Stores;
  metrics: Metrics;
  csrfKey: Buffer;
  logger: Pino;
  /** Readiness checks beside the database's (Redis when configured), for /readyz. */
  readiness: Record<string, Health>;
  /** Suspicious-activity alerts to LATCHKEY_WEBHOOK_URL; null when none is configured. */
  webhook: WebhookNotifier | null;
  /** Deletes expired tokens, long-ended sessions and keys past their publication. */
  purge(): Promise<number>;
  close(): Promise<void>;
}

export interface LatchkeyOptions {
  clock?: Clock;
  logger?: Pino;
  hasher?: PasswordHasher;
  /** Start the periodic purge and key reload timers (default true). */
  timers?: boolean;
}

/** Wires stores, caches and the core together; no HTTP here. */
export async function createLatchkey(config: ServerConfig, options: LatchkeyOptions = {}): Promise<Latchkey> {
  const logger =
    options.logger ??
    pino({
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.refresh_token',
          '*.currentPassword',
          '*.newPassword',
          '*.mfa_token',
          '*.code',
        ],
        censor: '[redacted]',
      },
    });
  const clock = options.clock ?? { now: () => Date.now() };
  const { secret, source } = resolveSecret(config);
  if (source !== 'env') {
    logger.warn(
      { file: `${config.dataDir}/secret` },
      'LATCHKEY_SECRET is not set: using a development secret kept under the data directory. Set LATCHKEY_SECRET in production.',
    );
  }
  const stores = openStores(config.databaseUrl);
  await stores.migrate();
  const metrics = createMetrics({ sessions: stores.sessions, clock });
  const keyRing = new KeyRing({
    keys: stores.keys,
    clock,
    kek: deriveKeyEncryptionKey(secret),
    alg: config.signingAlg,
    maxTokenTtl: config.accessTtl,
  });
  await keyRing.init();
  const webhook =
    config.webhookUrl && config.webhookSecret
      ? createWebhookNotifier({ url: config.webhookUrl, secret: config.webhookSecret, logger, accept: isAlert })
      : null;
  const smtp = config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : null;
  const auditSink = createAuditSink({
    store: stores.audit,
    logger,
    observers: webhook ? [metrics.observe, (event) => webhook.notify(event)] : [metrics.observe],
  });
  const activity = createMemoryActivityWindow(clock);
  const cache = await openCache(config.redisUrl, clock, logger);
  const liveness = new SessionLiveness({
    sessions: stores.sessions,
    bus: cache.bus,
    clock,
    onError: (error, what) => logger.warn({ err: error }, what),
  });
  const deps: CoreDeps = {
    users: stores.users,
    sessions: announcingSessionStore(stores.sessions, liveness),
    liveness,
    audit: withSuspiciousActivityDetection(auditSink, { knownDevices: stores.knownDevices, activity, logger }),
    throttle: cache.throttle,
    hasher: options.hasher ?? createArgon2Hasher(),
    clock,
    config,
    keyRing,
    verifier: new AccessTokenVerifier({ keyRing, clock, config }),
    commonPasswords: loadCommonPasswords(),
    revocations: stores.revocations,
    // Redis wakes every node's feed streams; without it the in-process signal serves the one node.
    revocationSignal: cache.feedSignal ?? createMemoryRevocationFeedSignal(),
    mfa: stores.mfa,
    mfaKey: deriveMfaKey(secret),
    passwordResets: stores.passwordResets,
    mailer: smtp ?? createLogMailer(logger, config.production),
    knownDevices: stores.knownDevices,
    activity,
    clients: stores.clients,
    authorizationCodes: stores.authorizationCodes,
    consents: stores.consents,
    revokedClientTokens: stores.revokedClientTokens,
  };
  await dummyHash(deps.hasher);
  if (config.bootstrapAdmin) await bootstrapAdmin(deps, config.bootstrapAdmin, logger);

  const purge = async () => {
    const now = clock.now();
    // Revocation rules outlive every token they match; kept a little longer for skewed clocks.
    await stores.revocations.purge(now - REVOCATION_PURGE_GRACE_MS);
    return (
      (await stores.sessions.purge(now, now - ENDED_RETENTION_MS)) +
      (await stores.keys.deleteExpired(now)) +
      (await stores.mfa.purge(now)) +
      (await stores.passwordResets.purge(now)) +
      (await stores.authorizationCodes.purge(now - CODE_RETENTION_MS)) +
      (await stores.revokedClientTokens.purge(now))
    );
  };
  const timers: NodeJS.Timeout[] = [];
  if (options.timers !== false) {
    timers.push(
      setInterval(() => void purge().catch((error: unknown) => logger.error({ err: error }, 'purge failed')), PURGE_EVERY_MS).unref(),
    );
    timers.push(
      setInterval(
        () => void keyRing.maybeReload().catch((error: unknown) => logger.error({ err: error }, 'key reload failed')),
        10_000,
      ).unref(),
    );
  }
  return {
    config,
    deps,
    stores,
    metrics,
    csrfKey: deriveCsrfKey(secret),
    logger,
    readiness: cache.health,
    webhook,
    purge,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await webhook?.close();
      smtp?.close();
      liveness.close();
      await cache.close();
      await stores.close();
    },
  };
}

/**
 * LATCHKEY_BOOTSTRAP_ADMIN: create that admin if absent; safe when many nodes start at
 * once (the insert does nothing on a taken email). The operator chose the password, so
 * a common one is warned about rather than refused; the length rules still apply.
 */
async function bootstrapAdmin(deps: CoreDeps, admin: { email: string; password: string }, logger: Pino): Promise<void> {
  if (deps.commonPasswords.has(admin.password.normalize('NFC').toLowerCase())) {
    logger.warn({}, 'LATCHKEY_BOOTSTRAP_ADMIN uses one of the most common passwords; change it after signing in');
  }
  // Most starts find the admin there already: skip the argon2 hash then.
  if (await deps.users.findByEmail(normalizeEmail(admin.email))) return;
  const user = await prepareUser(
    { ...deps, commonPasswords: new Set() },
    { email: admin.email, password: admin.password, name: 'Administrator', roles: ['admin'] },
  );
  if ((await deps.users.create(user)) === 'created') logger.info({ userId: user.id, email: user.email }, 'bootstrap admin created');
}
