import { randomBytes } from 'node:crypto';
import type { PasswordHasher, RequestContext, UserRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { AccountBlocked, InvalidCredentials, MfaRequired, RateLimited } from '../errors.js';
import { startMfaChallenge } from '../mfa/mfa-sign-in.js';
import { isMfaEnabled } from '../mfa/second-factor.js';
import { startSession, type SessionGrant } from '../sessions/start-session.js';
import { assertNotLocked, backoffKey, recordLoginFailure, resetLoginFailures } from '../throttle/login-backoff.js';
import { normalizeEmail } from './email.js';
import { normalizePassword } from './password-policy.js';

export type SignInDeps = Pick<CoreDeps, 'users' | 'sessions' | 'hasher' | 'throttle' | 'keyRing' | 'clock' | 'config' | 'audit' | 'mfa'>;

// A real hash of a random password, so an unknown email costs one full verification.
const dummyHashes = new WeakMap<PasswordHasher, Promise<string>>();
// Exported so start-up can make it before the first request: otherwise the first unknown
// email would pay for two hashes and stand out.
export function dummyHash(hasher: PasswordHasher): Promise<string> {
  let hash = dummyHashes.get(hasher);
  if (!hash) {
    hash = hasher.hash(randomBytes(24).toString('base64url'));
    dummyHashes.set(hasher, hash);
  }
  return hash;
}

/** Checks the password with the same work and answer for unknown and known emails. */
export async function verifyCredentials(
  deps: Omit<SignInDeps, 'sessions' | 'keyRing' | 'mfa'>,
  input: { email: string; password: string; ctx: RequestContext },
): Promise<UserRecord> {
  const email = normalizeEmail(input.email);
  const backoff = { throttle: deps.throttle, clock: deps.clock, maxFailures: deps.config.loginMaxFailures };
  const key = backoffKey(email, input.ctx.ip);
  try {
    await assertNotLocked(backoff, key);
  } catch (error) {
    if (error instanceof RateLimited) {
      await deps.audit.record(auditEvent('login_throttled', input.ctx, deps.clock.now(), { data: { email } }));
    }
    throw error;
  }
  const user = await deps.users.findByEmail(email);
  const hash = user?.passwordHash ?? (await dummyHash(deps.hasher));
  const ok = await deps.hasher.verify(hash, normalizePassword(input.password));
  if (!user || !ok) {
    await recordLoginFailure(backoff, key);
    await deps.audit.record(
      auditEvent('login_failed', input.ctx, deps.clock.now(), { userId: user?.id ?? null, data: { email, reason: 'invalid_credentials' } }),
    );
    throw new InvalidCredentials(user ? 'wrong password' : 'unknown email');
  }
  await resetLoginFailures(backoff, key);
  if (user.status === 'blocked') {
    await deps.audit.record(auditEvent('login_failed', input.ctx, deps.clock.now(), { userId: user.id, data: { reason: 'blocked' } }));
    throw new AccountBlocked();
  }
  return user;
}

/**
 * POST /auth/login: credentials in, a new session out. An account with a second factor
 * gets `MfaRequired` instead, carrying the token for POST /auth/login/mfa, bound to the
 * `remember` choice and the `transport` the session will be delivered in.
 */
export async function signIn(
  deps: SignInDeps,
  input: { email: string; password: string; remember: boolean; ctx: RequestContext; transport?: string },
): Promise<SessionGrant> {
  const user = await verifyCredentials(deps, input);
  if (await isMfaEnabled(deps, user.id)) {
    throw new MfaRequired(await startMfaChallenge(deps, { user, remember: input.remember, transport: input.transport ?? 'cookie' }));
  }
  return startSession(deps, { user, remember: input.remember, ctx: input.ctx });
}
