import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CoreConfig } from './core/config.js';
import type { KeyAlgorithm } from './ports.js';

export interface ServerConfig extends CoreConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** Master secret; null until resolved (see resolveSecret). */
  secret: string | null;
  production: boolean;
  dataDir: string;
  bootstrapAdmin: { email: string; password: string } | null;
  trustProxy: boolean | string | number;
  bodyLimit: number;
  logLevel: string;
  /** LATCHKEY_SMTP_URL (smtp:// or smtps://); null: mail is written to the log. */
  smtpUrl: string | null;
  /** LATCHKEY_MAIL_FROM: the sender of password-reset mail. */
  mailFrom: string;
  /** LATCHKEY_WEBHOOK_URL: where suspicious-activity alerts are POSTed; null: none. */
  webhookUrl: string | null;
  /** LATCHKEY_WEBHOOK_SECRET: HMAC-SHA256 key of the alert signature header. */
  webhookSecret: string | null;
}

export class ConfigError extends Error {}

const ALGORITHMS: KeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `24h`, `30d` -> seconds. */
export function parseDuration(name: string, value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not a duration; use a positive number with s, m, h or d (e.g. 15m)`);
  }
  return seconds;
}

function parseInteger(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
  return n;
}

function parseUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return value.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be an http(s) URL`);
  }
}

/**
 * Reads and validates the environment named in API.md. Throws ConfigError with one
 * line naming the variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ServerConfig {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const production = env.NODE_ENV === 'production';
  const port = get('PORT') ? parseInteger('PORT', get('PORT')!, 0, 65535) : 8080;
  const host = get('HOST') ?? '127.0.0.1';
  const dataDir = resolve(cwd, get('LATCHKEY_DATA_DIR') ?? 'data');
  const issuer = get('LATCHKEY_ISSUER') ? parseUrl('LATCHKEY_ISSUER', get('LATCHKEY_ISSUER')!) : `http://localhost:${port}`;

  const databaseUrl = get('LATCHKEY_DATABASE_URL') ?? `sqlite:${join(dataDir, 'latchkey.db')}`;
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError('LATCHKEY_DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://...');
  }
  const redisUrl = get('LATCHKEY_REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/.+/.test(redisUrl))
    throw new ConfigError('LATCHKEY_REDIS_URL must be redis://... or rediss://...');

  const secret = get('LATCHKEY_SECRET') ?? null;
  if (production && secret === null) throw new ConfigError('LATCHKEY_SECRET is required when NODE_ENV=production');
  if (secret !== null && secret.length < 32) throw new ConfigError('LATCHKEY_SECRET must be at least 32 characters');

  const alg = get('LATCHKEY_SIGNING_ALG') ?? 'RS256';
  if (!ALGORITHMS.includes(alg as KeyAlgorithm))
    throw new ConfigError(`LATCHKEY_SIGNING_ALG=${JSON.stringify(alg)} must be one of ${ALGORITHMS.join(', ')}`);

  let bootstrapAdmin: ServerConfig['bootstrapAdmin'] = null;
  const bootstrap = get('LATCHKEY_BOOTSTRAP_ADMIN');
  if (bootstrap !== undefined) {
    const at = bootstrap.indexOf(':');
    if (at <= 0 || at === bootstrap.length - 1) throw new ConfigError('LATCHKEY_BOOTSTRAP_ADMIN must be email:password');
    bootstrapAdmin = { email: bootstrap.slice(0, at), password: bootstrap.slice(at + 1) };
  }

  const trust = get('LATCHKEY_TRUST_PROXY');
  let trustProxy: ServerConfig['trustProxy'] = false;
  if (trust !== undefined) {
    if (trust === 'true') trustProxy = true;
    else if (trust === 'false') trustProxy = false;
    else if (/^\d+$/.test(trust)) trustProxy = Number(trust);
    else if (/^[0-9a-fA-F.:/, ]+$/.test(trust) || /^(loopback|linklocal|uniquelocal)(,|$)/.test(trust)) trustProxy = trust;
    else throw new ConfigError('LATCHKEY_TRUST_PROXY must list proxy addresses or CIDRs (e.g. 10.0.0.1,10.1.0.0/16), a hop count, or true');
  }

  const smtpUrl = get('LATCHKEY_SMTP_URL') ?? null;
  if (smtpUrl !== null && !/^smtps?:\/\/.+/.test(smtpUrl)) throw new ConfigError('LATCHKEY_SMTP_URL must be smtp://... or smtps://...');
  const webhookUrl = get('LATCHKEY_WEBHOOK_URL') ? parseUrl('LATCHKEY_WEBHOOK_URL', get('LATCHKEY_WEBHOOK_URL')!) : null;
  const webhookSecret = get('LATCHKEY_WEBHOOK_SECRET') ?? null;
  if (webhookUrl !== null && (webhookSecret === null || webhookSecret.length < 32)) {
    throw new ConfigError('LATCHKEY_WEBHOOK_SECRET (at least 32 characters) is required when LATCHKEY_WEBHOOK_URL is set');
  }

  const accessTtl = parseDuration('LATCHKEY_ACCESS_TTL', get('LATCHKEY_ACCESS_TTL') ?? '15m');
  const sessionTtl = parseDuration('LATCHKEY_SESSION_TTL', get('LATCHKEY_SESSION_TTL') ?? '24h');
  const rememberTtl = parseDuration('LATCHKEY_REMEMBER_TTL', get('LATCHKEY_REMEMBER_TTL') ?? '30d');
  const idleTtl = parseDuration('LATCHKEY_IDLE_TTL', get('LATCHKEY_IDLE_TTL') ?? '7d');

  return {
    port,
    host,
    issuer,
    audience: get('LATCHKEY_AUDIENCE') ?? issuer,
    databaseUrl,
    redisUrl,
    secret,
    production,
    dataDir,
    signingAlg: alg as KeyAlgorithm,
    accessTtl,
    sessionTtl,
    rememberTtl,
    idleTtl,
    loginMaxFailures: get('LATCHKEY_LOGIN_MAX_FAILURES')
      ? parseInteger('LATCHKEY_LOGIN_MAX_FAILURES', get('LATCHKEY_LOGIN_MAX_FAILURES')!, 1, 1000)
      : 5,
    bootstrapAdmin,
    trustProxy,
    bodyLimit: get('LATCHKEY_BODY_LIMIT')
      ? parseInteger('LATCHKEY_BODY_LIMIT', get('LATCHKEY_BODY_LIMIT')!, 1024, 16 * 1024 * 1024)
      : 64 * 1024,
    logLevel: get('LATCHKEY_LOG_LEVEL') ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    smtpUrl,
    mailFrom: get('LATCHKEY_MAIL_FROM') ?? 'Latchkey <no-reply@localhost>',
    webhookUrl,
    webhookSecret,
  };
}

/**
 * The master secret: LATCHKEY_SECRET, or in development one generated once and kept in
 * `<dataDir>/secret` (mode 600). Returns whether it was generated or read from there.
 */
export function resolveSecret(config: ServerConfig): { secret: string; source: 'env' | 'file' | 'generated' } {
  if (config.secret) return { secret: config.secret, source: 'env' };
  const file = join(config.dataDir, 'secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), source: 'file' };
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { secret, source: 'generated' };
}
