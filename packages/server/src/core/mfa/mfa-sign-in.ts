import type { RequestContext, UserRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { AccountBlocked, InvalidMfaCode } from '../errors.js';
import { startSession, type SessionGrant } from '../sessions/start-session.js';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken } from '../tokens/opaque-token.js';
import {
  assertCodesAllowed,
  clearWrongCodes,
  MFA_MAX_FAILURES_PER_USER,
  mfaUserKey,
  recordWrongCode,
  useSecondFactor,
} from './second-factor.js';

export const MFA_TOKEN_PREFIX = 'lkmfa_';
/** Long enough to open an authenticator app, short enough that a leaked token is soon useless. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong codes one pending sign-in may take before it is locked. */
export const MFA_MAX_FAILURES_PER_TOKEN = 5;

export type MfaSignInDeps = Pick<CoreDeps, 'mfa' | 'mfaKey' | 'users' | 'sessions' | 'keyRing' | 'clock' | 'config' | 'audit' | 'throttle'>;

/**
 * The password was right and the account has a second factor: remember the sign-in for a
 * few minutes behind an opaque single-use token (stored hashed), bound to the user, the
 * "keep me signed in" choice and the transport asked for.
 */
export async function startMfaChallenge(
  deps: Pick<CoreDeps, 'mfa' | 'clock'>,
  input: { user: UserRecord; remember: boolean; transport: string },
): Promise<string> {
  const token = generateOpaqueToken(MFA_TOKEN_PREFIX);
  const now = deps.clock.now();
  await deps.mfa.createChallenge(hashToken(token), {
    userId: input.user.id,
    remember: input.remember,
    transport: input.transport,
    createdAt: now,
    expiresAt: now + MFA_CHALLENGE_TTL_MS,
  });
  return token;
}

const invalid = (debug: string) => new InvalidMfaCode(401, 'The code is not valid, or this sign-in has expired.', debug);

/** POST /auth/login/mfa: a right code turns the pending sign-in into a session, once. */
export async function completeMfaSignIn(
  deps: MfaSignInDeps,
  input: { mfaToken: string; code: string; ctx: RequestContext },
): Promise<{ grant: SessionGrant; transport: string }> {
  if (!looksLikeOpaqueToken(input.mfaToken, MFA_TOKEN_PREFIX)) throw invalid('malformed mfa_token');
  const hash = hashToken(input.mfaToken);
  const challenge = await deps.mfa.findChallenge(hash);
  const now = deps.clock.now();
  if (!challenge || challenge.expiresAt <= now) throw invalid(challenge ? 'mfa_token expired' : 'unknown mfa_token');
  const keys: Array<[string, number]> = [
    [`mfa:token:${hash}`, MFA_MAX_FAILURES_PER_TOKEN],
    [mfaUserKey(challenge.userId), MFA_MAX_FAILURES_PER_USER],
  ];
  await assertCodesAllowed(deps, keys);

  const user = await deps.users.findById(challenge.userId);
  if (!user) throw invalid('user gone');
  if (user.status === 'blocked') throw new AccountBlocked();

  const factor = await useSecondFactor(deps, user.id, input.code);
  if (!factor) {
    await recordWrongCode(deps, keys);
    await deps.audit.record(auditEvent('login_failed', input.ctx, now, { userId: user.id, data: { reason: 'invalid_mfa_code' } }));
    throw invalid('wrong code');
  }
  // Two right codes racing for one pending sign-in: the first consumes it.
  if (!(await deps.mfa.consumeChallenge(hash, deps.clock.now()))) throw invalid('mfa_token already used');
  await clearWrongCodes(deps, [mfaUserKey(user.id)]);
  const grant = await startSession(deps, { user, remember: challenge.remember, ctx: input.ctx });
  return { grant, transport: challenge.transport };
}
