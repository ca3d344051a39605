import type { RequestContext, UserRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { InvalidRequest, NotFound } from '../errors.js';
import { endAllSessions, type EndSessionDeps } from '../sessions/end-session.js';

export type BlockUserDeps = Pick<CoreDeps, 'users' | 'sessions' | 'clock' | 'audit'> & EndSessionDeps;

/**
 * POST /admin/users/:id/block. The status flips first, so no refresh or sign-in started
 * after this call can mint a new session; then every live session ends at once (reason
 * `blocked`), which also kills their access tokens on the next request.
 */
export async function blockUser(
  deps: BlockUserDeps,
  input: { userId: string; adminId: string; ctx: RequestContext },
): Promise<{ user: UserRecord; revokedSessions: string[] }> {
  if (input.userId === input.adminId) throw new InvalidRequest('An administrator cannot block their own account.');
  const user = await deps.users.findById(input.userId);
  if (!user) throw new NotFound('No such user.');
  const now = deps.clock.now();
  await deps.users.setStatus(user.id, 'blocked', now);
  const revokedSessions = await endAllSessions(deps, user.id, 'blocked', input.ctx, { data: { by: input.adminId } });
  await deps.audit.record(
    auditEvent('user_blocked', input.ctx, now, { userId: user.id, data: { by: input.adminId, sessions: revokedSessions.length } }),
  );
  return { user: { ...user, status: 'blocked', updatedAt: now }, revokedSessions };
}

/** POST /admin/users/:id/unblock: sign-in works again; ended sessions stay ended. */
export async function unblockUser(
  deps: BlockUserDeps,
  input: { userId: string; adminId: string; ctx: RequestContext },
): Promise<UserRecord> {
  const user = await deps.users.findById(input.userId);
  if (!user) throw new NotFound('No such user.');
  const now = deps.clock.now();
  await deps.users.setStatus(user.id, 'active', now);
  await deps.audit.record(auditEvent('user_unblocked', input.ctx, now, { userId: user.id, data: { by: input.adminId } }));
  return { ...user, status: 'active', updatedAt: now };
}

/** POST /admin/users/:id/revoke-sessions: every live session of the user ends (reason `admin`). */
export async function revokeUserSessions(
  deps: BlockUserDeps,
  input: { userId: string; adminId: string; ctx: RequestContext },
): Promise<string[]> {
  const user = await deps.users.findById(input.userId);
  if (!user) throw new NotFound('No such user.');
  return endAllSessions(deps, user.id, 'admin', input.ctx, { data: { by: input.adminId } });
}
