import type { RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { InvalidToken, RateLimited } from '../errors.js';
import { endAllSessions, type EndSessionDeps } from '../sessions/end-session.js';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken } from '../tokens/opaque-token.js';
import { isValidEmail, normalizeEmail } from './email.js';
import { checkPasswordPolicy, normalizePassword } from './password-policy.js';

export const RESET_TOKEN_PREFIX = 'lkpr_';
/** A reset link works for 30 minutes, once. */
export const RESET_TOKEN_TTL_MS = 30 * 60_000;
const REQUEST_WINDOW_MS = 3_600_000;
/** Per hour: requests from one IP, and mails to one address (known or not, so nothing is revealed). */
export const RESET_REQUESTS_PER_IP = 10;
export const RESET_REQUESTS_PER_EMAIL = 3;

export type ResetDeps = Pick<
  CoreDeps,
  'users' | 'sessions' | 'hasher' | 'throttle' | 'clock' | 'audit' | 'commonPasswords' | 'passwordResets' | 'mailer' | 'config'
> &
  EndSessionDeps;

async function countRequest(deps: Pick<ResetDeps, 'throttle' | 'clock'>, key: string, max: number): Promise<void> {
  const now = deps.clock.now();
  const { lockedUntil } = await deps.throttle.get(key);
  if (lockedUntil > now) throw new RateLimited(Math.ceil((lockedUntil - now) / 1000));
  await deps.throttle.recordFailure(key, REQUEST_WINDOW_MS, (count) => (count >= max ? now + REQUEST_WINDOW_MS : 0));
}

/**
 * The synchronous half of POST /auth/password/forgot: only the rate limits, which treat
 * unknown and known addresses alike. Everything that depends on whether the account
 * exists happens in `sendPasswordReset`, after the answer (202) is on its way.
 */
export async function admitPasswordResetRequest(
  deps: Pick<ResetDeps, 'throttle' | 'clock'>,
  input: { email: string; ctx: RequestContext },
) {
  await countRequest(deps, `reset:ip:${input.ctx.ip}`, RESET_REQUESTS_PER_IP);
  await countRequest(deps, `reset:email:${normalizeEmail(input.email)}`, RESET_REQUESTS_PER_EMAIL);
}

/**
 * Creates a single-use token (stored hashed) and mails the link to the address on file,
 * never to the address as typed: a look-alike that normalizes to the same account
 * (U+212A KELVIN SIGN for "k") must not receive someone else's link.
 */
export async function sendPasswordReset(
  deps: ResetDeps,
  input: { email: string; ctx: RequestContext; resetLink: (token: string) => string },
): Promise<boolean> {
  if (!isValidEmail(input.email)) return false;
  const user = await deps.users.findByEmail(normalizeEmail(input.email));
  const now = deps.clock.now();
  if (!user || user.status !== 'active') return false;
  const token = generateOpaqueToken(RESET_TOKEN_PREFIX);
  await deps.passwordResets.create({ hash: hashToken(token), userId: user.id, createdAt: now, expiresAt: now + RESET_TOKEN_TTL_MS });
  await deps.audit.record(auditEvent('password_reset_requested', input.ctx, now, { userId: user.id }));
  await deps.mailer.send({
    to: user.email,
    subject: 'Reset your Latchkey password',
    text: [
      `Someone asked to reset the password of the Latchkey account ${user.email}.`,
      '',
      'To choose a new password, open this link within 30 minutes (it works once):',
      input.resetLink(token),
      '',
      'Or paste this code on the reset page:',
      token,
      '',
      'If it was not you, ignore this message: your password has not changed.',
    ].join('\n'),
  });
  return true;
}

/** POST /auth/password/reset: one use of a valid token sets the password and ends every session. */
export async function resetPassword(deps: ResetDeps, input: { token: string; newPassword: string; ctx: RequestContext }): Promise<void> {
  const invalid = (debug: string) => new InvalidToken('The reset link is invalid, already used or expired.', debug);
  if (!looksLikeOpaqueToken(input.token, RESET_TOKEN_PREFIX)) throw invalid('malformed reset token');
  // The policy first, so a weak choice does not burn the link; the (costly) hash only
  // after the token proved good, so random tokens cost the server nothing.
  const password = normalizePassword(input.newPassword);
  checkPasswordPolicy(password, deps.commonPasswords);
  const now = deps.clock.now();
  const userId = await deps.passwordResets.consume(hashToken(input.token), now);
  if (!userId) throw invalid('unknown, used or expired reset token');
  const user = await deps.users.findById(userId);
  if (!user) throw invalid('user gone');
  await deps.users.setPasswordHash(user.id, await deps.hasher.hash(password), now);
  await deps.passwordResets.revokeForUser(user.id, now);
  await endAllSessions(deps, user.id, 'password_reset', input.ctx, { auditType: 'password_reset' });
}
