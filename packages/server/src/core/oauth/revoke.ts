import type { ClientRecord, RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { recordRevocations } from '../revocations/record-revocations.js';
import { endSession, type EndSessionDeps } from '../sessions/end-session.js';
import { isUserClaims } from '../tokens/access-token.js';
import { hashToken, looksLikeOpaqueToken, REFRESH_TOKEN_PREFIX } from '../tokens/opaque-token.js';

export type RevokeDeps = Pick<CoreDeps, 'verifier' | 'revokedClientTokens'> & EndSessionDeps;

const notYours = () => new OAuthError('unauthorized_client', 'The token was not issued to this client.');

/**
 * RFC 7009 §2.1. A refresh token or a person's access token ends the session it belongs
 * to, which takes every token of that grant with it (§2.1: "SHOULD also invalidate all
 * access tokens based on the same authorization grant"); a client-credentials token is
 * remembered as revoked until it expires. An unknown or already invalid token is not an
 * error (§2.2). A token of another client is refused (§2.1).
 */
export async function revokeToken(deps: RevokeDeps, input: { client: ClientRecord; token: string; ctx: RequestContext }): Promise<void> {
  const { client, token, ctx } = input;
  if (looksLikeOpaqueToken(token, REFRESH_TOKEN_PREFIX)) {
    const record = await deps.sessions.findRefreshToken(hashToken(token));
    const session = record ? await deps.sessions.findById(record.sessionId) : null;
    if (!session) return;
    if (session.clientId !== client.id) throw notYours();
    await endSession(deps, session, 'revoked', ctx, { by: 'token_revocation', clientId: client.id, tokenType: 'refresh_token' });
    return;
  }
  const result = await deps.verifier.verifyAny(token);
  if (!result.ok) return;
  const { claims } = result;
  if (claims.client_id !== client.id) throw notYours();
  if (isUserClaims(claims)) {
    const session = await deps.sessions.findById(claims.sid);
    if (session)
      await endSession(deps, session, 'revoked', ctx, { by: 'token_revocation', clientId: client.id, tokenType: 'access_token' });
    return;
  }
  await deps.revokedClientTokens.add(claims.jti, claims.exp * 1000);
  // Resource servers following the revocation feed drop the token too.
  await recordRevocations(deps, [{ type: 'jti', id: claims.jti }]);
  await deps.audit.record(auditEvent('token_revoked', ctx, deps.clock.now(), { data: { clientId: client.id, jti: claims.jti } }));
}
