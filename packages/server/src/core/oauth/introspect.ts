import type { ClientRecord, RefreshTokenRecord, SessionRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { InvalidClient } from '../errors.js';
import { lapsedReason } from '../sessions/lifetime.js';
import { isUserClaims } from '../tokens/access-token.js';
import { hashToken, looksLikeOpaqueToken, REFRESH_TOKEN_PREFIX } from '../tokens/opaque-token.js';

export type IntrospectDeps = Pick<CoreDeps, 'verifier' | 'sessions' | 'clients' | 'revokedClientTokens' | 'clock' | 'config'>;

/** RFC 7662 §2.2 */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = { active: false };

/**
 * RFC 7662. Only confidential clients may ask (§2.1: the endpoint needs authorization),
 * and a client learns only about its own tokens unless it is first-party (the operator's
 * resource servers): to anyone else, someone else's token is simply inactive (§4).
 */
export async function introspect(deps: IntrospectDeps, input: { client: ClientRecord; token: string }): Promise<IntrospectionResponse> {
  if (input.client.public) throw new InvalidClient('public clients may not introspect');
  const mayKnow = (clientId: string) => clientId === input.client.id || input.client.firstParty;
  const now = deps.clock.now();

  if (looksLikeOpaqueToken(input.token, REFRESH_TOKEN_PREFIX)) {
    const token = await deps.sessions.findRefreshToken(hashToken(input.token));
    const session = token ? await deps.sessions.findById(token.sessionId) : null;
    if (!token || !session || !mayKnow(session.clientId) || !refreshTokenUsable(token, session, now)) return INACTIVE;
    return {
      active: true,
      scope: session.scope,
      client_id: session.clientId,
      sub: session.userId,
      exp: Math.floor(token.expiresAt / 1000),
      iat: Math.floor(token.createdAt / 1000),
      iss: deps.config.issuer,
      sid: session.id,
    };
  }

  const result = await deps.verifier.verifyAny(input.token);
  if (!result.ok || !mayKnow(result.claims.client_id)) return INACTIVE;
  const { claims } = result;
  if (isUserClaims(claims)) {
    const session = await deps.sessions.findById(claims.sid);
    if (!session || session.userId !== claims.sub || lapsedReason(session, now)) return INACTIVE;
  } else {
    if (!(await deps.clients.findById(claims.client_id)) || (await deps.revokedClientTokens.has(claims.jti, now))) return INACTIVE;
  }
  return { active: true, token_type: 'Bearer', ...claims };
}

/**
 * Whether presenting the token now would be honoured (the rule of refreshSession,
 * read-only): an unused successor of the current parent, or the current parent itself.
 */
function refreshTokenUsable(token: RefreshTokenRecord, session: SessionRecord, now: number): boolean {
  if (lapsedReason(session, now) || now >= token.expiresAt) return false;
  const isNextGeneration = token.generation === session.refreshGeneration + 1;
  const isCurrentParent = token.generation === session.refreshGeneration && token.id === session.refreshParentId;
  return isNextGeneration || isCurrentParent;
}
