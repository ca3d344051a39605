import type { NewRefreshToken, RequestContext, SessionRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import { timeOrderedId } from '../random.js';
import type { CoreDeps } from '../deps.js';
import { CsrfFailed, InvalidGrant } from '../errors.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, REFRESH_TOKEN_PREFIX } from '../tokens/opaque-token.js';
import { csrfMatches } from './csrf.js';
import { endSession, type EndSessionDeps } from './end-session.js';
import { lapsedReason, nextIdleExpiry } from './lifetime.js';
import type { SessionGrant } from './start-session.js';

export type RefreshSessionDeps = Pick<CoreDeps, 'sessions' | 'users' | 'keyRing' | 'clock' | 'config' | 'audit'> & EndSessionDeps;

/** Each lost race re-reads state; the rule settles within three rounds. */
const MAX_ROUNDS = 4;

/**
 * Rotates a refresh token (API.md "Tokens"; RFC 9700 §4.14.2):
 * - an unused token whose predecessor is the session's current parent becomes the new
 *   parent and gets a successor (this kills the old parent and its other successors);
 * - the current parent may be presented again (lost response, parallel tabs) and gets
 *   another successor;
 * - anything else from the session's chain is reuse: the whole session is revoked.
 * Races are settled by the store's conditional updates, so this holds across nodes.
 */
export async function refreshSession(
  deps: RefreshSessionDeps,
  input: {
    refreshToken: string;
    ctx: RequestContext;
    clientId?: string;
    /** Cookie mode: the X-CSRF-Token presented, which must be the one bound to the token's session. */
    csrf?: { key: Buffer; token: string };
  },
): Promise<SessionGrant> {
  if (!looksLikeOpaqueToken(input.refreshToken, REFRESH_TOKEN_PREFIX)) throw new InvalidGrant(undefined, undefined, 'malformed token');
  const hash = hashToken(input.refreshToken);
  const found = await deps.sessions.findRefreshTokenWithSession(hash);
  if (!found) throw new InvalidGrant(undefined, undefined, 'unknown token');
  const { token } = found;

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = deps.clock.now();
    // The first round uses the session read with the token; a lost race reads it again.
    const session = round === 0 ? found.session : await deps.sessions.findById(token.sessionId);
    if (!session) throw new InvalidGrant(undefined, undefined, 'session gone');
    // API.md "Transports": the CSRF token is bound to the session, so a csrf cookie and
    // header planted from another session do not unlock this one's refresh cookie.
    if (input.csrf && !csrfMatches(input.csrf.key, session.id, input.csrf.token)) throw new CsrfFailed();
    if (input.clientId !== undefined && session.clientId !== input.clientId) {
      throw new InvalidGrant('The refresh token was not issued to this client.', undefined, 'client mismatch');
    }
    const reason = lapsedReason(session, now);
    if (reason) {
      if (session.endedAt === null) await endSession(deps, session, reason, input.ctx);
      throw new InvalidGrant('The session has ended.', reason, `session ${reason}`);
    }
    if (now >= token.expiresAt) throw new InvalidGrant(undefined, undefined, 'token expired');

    const isNextGeneration = token.generation === session.refreshGeneration + 1;
    const isCurrentParent = token.generation === session.refreshGeneration && token.id === session.refreshParentId;
    if (!isNextGeneration && !isCurrentParent) {
      await endSession(deps, session, 'reuse_detected', input.ctx, { tokenGeneration: token.generation });
      throw new InvalidGrant('The refresh token was already used; the session has been revoked.', 'reuse_detected');
    }

    const user = await deps.users.findById(session.userId);
    if (!user || user.status !== 'active') throw new InvalidGrant('The account is not active.', 'blocked');

    const idleExpiresAt = nextIdleExpiry(session, now, deps.config.idleTtl);
    const refreshToken = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
    const successor: NewRefreshToken = {
      id: timeOrderedId(now),
      hash: hashToken(refreshToken),
      generation: token.generation + 1,
      createdAt: now,
      expiresAt: idleExpiresAt,
    };
    const change = { sessionId: session.id, token, successor, now, idleExpiresAt };
    const won = isNextGeneration ? await deps.sessions.claimRefreshToken(change) : await deps.sessions.reissueRefreshToken(change);
    if (!won) continue;

    const updated: SessionRecord = {
      ...session,
      idleExpiresAt,
      lastUsedAt: now,
      refreshGeneration: token.generation,
      refreshParentId: token.id,
    };
    const accessToken = await issueAccessToken(deps, user, updated);
    await deps.audit.record(
      auditEvent('refresh_succeeded', input.ctx, now, {
        userId: user.id,
        sessionId: session.id,
        data: { generation: successor.generation, retry: isCurrentParent },
      }),
    );
    return { user, session: updated, accessToken, refreshToken };
  }
  throw new InvalidGrant(undefined, undefined, 'rotation contention did not settle');
}
