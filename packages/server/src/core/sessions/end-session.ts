import type { RequestContext, SessionRecord } from '../../ports.js';
import { auditEvent, type AuditType } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import type { EndReason } from '../errors.js';
import { recordRevocations, type RecordRevocationsDeps } from '../revocations/record-revocations.js';

export type EndSessionDeps = Pick<CoreDeps, 'sessions' | 'clock' | 'audit'> & RecordRevocationsDeps;

const AUDIT_FOR_REASON: Record<EndReason, AuditType> = {
  logout: 'logout',
  logout_all: 'logout_all',
  revoked: 'session_revoked',
  admin: 'session_revoked',
  blocked: 'session_revoked',
  password_changed: 'session_revoked',
  password_reset: 'session_revoked',
  reuse_detected: 'refresh_token_reuse',
  idle_timeout: 'session_expired',
  expired: 'session_expired',
};

/**
 * Ends one session and records why. Idempotent: a session that already ended keeps its
 * first reason and no second event is written. The event's type follows the reason
 * unless the caller names the cause (a replayed authorization code ends its session as
 * `reuse_detected`, but it is not a refresh-token reuse).
 */
export async function endSession(
  deps: EndSessionDeps,
  session: Pick<SessionRecord, 'id' | 'userId' | 'createdAt' | 'type'>,
  reason: EndReason,
  ctx: RequestContext | null,
  data: Record<string, unknown> = {},
  auditType: AuditType = AUDIT_FOR_REASON[reason],
): Promise<boolean> {
  const now = deps.clock.now();
  const ended = await deps.sessions.end(session.id, reason, now);
  if (ended) {
    // Resource servers following the revocation feed reject the session's tokens too.
    await recordRevocations(deps, [{ type: 'session', id: session.id }]);
    await deps.audit.record(
      auditEvent(auditType, ctx, now, {
        userId: session.userId,
        sessionId: session.id,
        data: { reason, type: session.type, durationSeconds: Math.round((now - session.createdAt) / 1000), ...data },
      }),
    );
  }
  return ended;
}

/** Ends every active session of a user (optionally keeping one) with one audit event. */
export async function endAllSessions(
  deps: EndSessionDeps,
  userId: string,
  reason: EndReason,
  ctx: RequestContext | null,
  options: { exceptSessionId?: string; auditType?: AuditType; currentSessionId?: string | null; data?: Record<string, unknown> } = {},
): Promise<string[]> {
  const now = deps.clock.now();
  // Read first so the session-duration metric can be fed for every session this ends.
  const startedAt = new Map((await deps.sessions.listActiveForUser(userId, now)).map((s) => [s.id, s.createdAt]));
  const ended = await deps.sessions.endAllForUser(userId, reason, now, options.exceptSessionId);
  const durationsSeconds = ended.flatMap((id) => {
    const createdAt = startedAt.get(id);
    return createdAt === undefined ? [] : [Math.round((now - createdAt) / 1000)];
  });
  // The revocation feed: a `session` rule per ended session and, when none is kept, a
  // `user` rule for every token of the user issued before now. `iat` has one-second
  // resolution, so verifiers apply the `user` rule to earlier seconds only (a sign-in
  // right after stays valid) and the `session` rules cover tokens of the same second.
  const rules: Array<{ type: 'session' | 'user'; id: string }> = ended.map((id) => ({ type: 'session', id }));
  if (options.exceptSessionId === undefined) rules.push({ type: 'user', id: userId });
  await recordRevocations(deps, rules);
  await deps.audit.record(
    auditEvent(options.auditType ?? AUDIT_FOR_REASON[reason], ctx, now, {
      userId,
      sessionId: options.currentSessionId ?? null,
      data: { ...options.data, reason, sessions: ended, durationsSeconds },
    }),
  );
  return ended;
}
