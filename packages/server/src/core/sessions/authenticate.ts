import type { SessionRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { Unauthorized } from '../errors.js';
import type { AccessClaims } from '../tokens/access-token.js';
import { endSession, type EndSessionDeps } from './end-session.js';
import { lapsedReason } from './lifetime.js';

export interface Authenticated {
  claims: AccessClaims;
  session: SessionRecord;
}

export type AuthenticateDeps = Pick<CoreDeps, 'verifier' | 'sessions' | 'liveness' | 'clock' | 'audit'> & EndSessionDeps;

/**
 * A valid signature is not enough: the session behind the token must still be alive,
 * so a logout or revocation takes effect on the next request, not at `exp`.
 */
export async function authenticateAccessToken(deps: AuthenticateDeps, token: string): Promise<Authenticated> {
  const result = await deps.verifier.verify(token);
  if (!result.ok) throw new Unauthorized('The access token is invalid or expired.', true, undefined, result.failure);
  // Cheap and cluster-correct: a node re-reads only what it cannot trust (SessionLiveness).
  const session = await deps.liveness.find(result.claims.sid);
  if (!session || session.userId !== result.claims.sub) {
    throw new Unauthorized('The access token is invalid or expired.', true, undefined, 'no such session');
  }
  const reason = lapsedReason(session, deps.clock.now());
  if (reason) {
    if (session.endedAt === null) await endSession(deps, session, reason, null);
    throw new Unauthorized('The session has ended.', true, reason, `session ${reason}`);
  }
  return { claims: result.claims, session };
}
