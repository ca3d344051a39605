import type { RequestContext } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { InvalidCredentials, InvalidRequest } from '../errors.js';
import { endAllSessions, type EndSessionDeps } from '../sessions/end-session.js';
import { assertNotLocked, recordLoginFailure, resetLoginFailures } from '../throttle/login-backoff.js';
import { checkPasswordPolicy, normalizePassword } from './password-policy.js';

export type ChangePasswordDeps = Pick<
  CoreDeps,
  'users' | 'sessions' | 'hasher' | 'throttle' | 'clock' | 'config' | 'audit' | 'commonPasswords' | 'passwordResets'
> &
  EndSessionDeps;

/**
 * POST /auth/password. The current password is asked for again so that a stolen session
 * cannot take the account over; wrong guesses are throttled like sign-ins (per user, so a
 * thief cannot guess from many addresses). Every other session ends: if the change is a
 * response to a compromise, the intruder's sessions must not survive it.
 */
export async function changePassword(
  deps: ChangePasswordDeps,
  input: { userId: string; sessionId: string; currentPassword: string; newPassword: string; ctx: RequestContext },
): Promise<void> {
  const backoff = { throttle: deps.throttle, clock: deps.clock, maxFailures: deps.config.loginMaxFailures };
  const key = `password-change:${input.userId}`;
  await assertNotLocked(backoff, key);
  const user = await deps.users.findById(input.userId);
  if (!user) throw new InvalidRequest('No such user.');
  if (!(await deps.hasher.verify(user.passwordHash, normalizePassword(input.currentPassword)))) {
    await recordLoginFailure(backoff, key);
    throw new InvalidCredentials('wrong current password');
  }
  await resetLoginFailures(backoff, key);
  const password = normalizePassword(input.newPassword);
  checkPasswordPolicy(password, deps.commonPasswords);
  const now = deps.clock.now();
  await deps.users.setPasswordHash(user.id, await deps.hasher.hash(password), now);
  await deps.passwordResets.revokeForUser(user.id, now);
  await endAllSessions(deps, user.id, 'password_changed', input.ctx, {
    exceptSessionId: input.sessionId,
    currentSessionId: input.sessionId,
    auditType: 'password_changed',
  });
}
