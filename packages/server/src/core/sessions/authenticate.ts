import type { SessionRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { type EndReason, TemporarilyUnavailable, Unauthorized } from '../errors.js';
import type { AccessClaims } from '../tokens/access-token.js';
import { endSession, type EndSessionDeps } from './end-session.js';
import { lapsedReason } from './lifetime.js';

export interface Authenticated {
  claims: AccessClaims;
  session: SessionRecord;
}

export type AuthenticateDeps = Pick<CoreDeps, 'verifier' | 'sessions' | 'liveness' | 'clock' | 'audit'> & EndSessionDeps;

/** The session a token names, if it is that person's; null otherwise. */
async function sessionOf(deps: AuthenticateDeps, claims: AccessClaims): Promise<SessionRecord | null> {
  // Cheap and cluster-correct: a node re-reads only what it cannot trust (SessionLiveness).
  const session = await deps.liveness.find(claims.sid);
  return session && session.userId === claims.sub ? session : null;
}

/** Why the session of a genuine but expired token ended; null while it lives on (the holder should refresh). */
async function endedReason(deps: AuthenticateDeps, claims: AccessClaims): Promise<EndReason | null> {
  let session: SessionRecord | null;
  try {
    session = await sessionOf(deps, claims);
  } catch (error) {
    // The token is expired whatever the database says: a 401 without the reason, not a 503.
    if (error instanceof TemporarilyUnavailable) return null;
    throw error;
  }
  return session && lapsedReason(session, deps.clock.now());
}

/**
 * A valid signature is not enough: the session behind the token must still be alive,
 * so a logout or revocation takes effect on the next request, not at `exp`.
 */
export async function authenticateAccessToken(deps: AuthenticateDeps, token: string): Promise<Authenticated> {
  const result = await deps.verifier.verify(token);
  if (!result.ok) {
    // API.md: a 401 for a token of an ended session says why it ended, expired token or not.
    const ended = result.failure === 'expired' ? await endedReason(deps, result.expiredClaims) : null;
    throw new Unauthorized('The access token is invalid or expired.', true, ended ?? undefined, result.failure);
  }
  const session = await sessionOf(deps, result.claims);
  if (!session) {
    throw new Unauthorized('The access token is invalid or expired.', true, undefined, 'no such session');
  }
  const reason = lapsedReason(session, deps.clock.now());
  if (reason) {
    if (session.endedAt === null) await endSession(deps, session, reason, null);
    throw new Unauthorized('The session has ended.', true, reason, `session ${reason}`);
  }
  return { claims: result.claims, session };
}
