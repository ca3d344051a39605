import type { RequestContext, SessionRecord } from '../../ports.js';
import { NotFound } from '../errors.js';
import type { Authenticated } from './authenticate.js';
import { endAllSessions, endSession, type EndSessionDeps } from './end-session.js';

type Deps = EndSessionDeps;

/** The signed-in person's live sessions, newest first, the current one marked. */
export async function listOwnSessions(deps: Deps, auth: Authenticated): Promise<Array<SessionRecord & { current: boolean }>> {
  const sessions = await deps.sessions.listActiveForUser(auth.session.userId, deps.clock.now());
  return sessions.sort((a, b) => b.createdAt - a.createdAt).map((s) => ({ ...s, current: s.id === auth.session.id }));
}

/** DELETE /auth/sessions/:id — another person's session is indistinguishable from none. */
export async function revokeOwnSession(deps: Deps, auth: Authenticated, sessionId: string, ctx: RequestContext): Promise<void> {
  const session = await deps.sessions.findById(sessionId);
  if (!session || session.userId !== auth.session.userId || session.endedAt !== null) {
    throw new NotFound('No such session.');
  }
  await endSession(deps, session, 'revoked', ctx, { by: auth.session.id });
}

export async function logout(deps: Deps, auth: Authenticated, ctx: RequestContext): Promise<void> {
  await endSession(deps, auth.session, 'logout', ctx);
}

export async function logoutEverywhere(deps: Deps, auth: Authenticated, ctx: RequestContext): Promise<void> {
  await endAllSessions(deps, auth.session.userId, 'logout_all', ctx, { currentSessionId: auth.session.id });
}
