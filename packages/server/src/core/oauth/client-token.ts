import { randomUUID } from 'node:crypto';
import type { ClientRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { OAuthError, Unauthorized } from '../errors.js';
import { ACCESS_TOKEN_TYP, isUserClaims, type AccessTokenDeps, type ClientAccessClaims } from '../tokens/access-token.js';
import { signJws } from '../tokens/jws.js';
import { hasScope } from './scope.js';

/** A client-credentials access token (RFC 6749 §4.4.3; RFC 9068 §2.2: `sub` is the client). */
export async function issueClientAccessToken(
  deps: AccessTokenDeps,
  client: Pick<ClientRecord, 'id'>,
  scope: string,
): Promise<{ token: string; claims: ClientAccessClaims; expiresAt: number }> {
  const iat = Math.floor(deps.clock.now() / 1000);
  const claims: ClientAccessClaims = {
    iss: deps.config.issuer,
    sub: client.id,
    aud: deps.config.audience,
    exp: iat + deps.config.accessTtl,
    iat,
    nbf: iat,
    jti: randomUUID(),
    client_id: client.id,
    scope,
  };
  const { kid, alg, key } = deps.keyRing.signingKey();
  const token = await signJws({ alg, kid, typ: ACCESS_TOKEN_TYP }, claims as unknown as Record<string, unknown>, key);
  return { token, claims, expiresAt: claims.exp * 1000 };
}

export interface AuthenticatedClient {
  claims: ClientAccessClaims;
  client: ClientRecord;
}

export type AuthenticateClientTokenDeps = Pick<CoreDeps, 'verifier' | 'clients' | 'revokedClientTokens' | 'clock'>;

/**
 * Accepts only a client-credentials token: valid signature and claims, a client that
 * still exists, not revoked, and holding `scope` when one is required. A person's token
 * is refused here just as a client token is refused by `authenticateAccessToken`.
 */
export async function authenticateClientAccessToken(
  deps: AuthenticateClientTokenDeps,
  token: string,
  requiredScope?: string,
): Promise<AuthenticatedClient> {
  const result = await deps.verifier.verifyAny(token);
  if (!result.ok) throw new Unauthorized('The access token is invalid or expired.', true, undefined, result.failure);
  if (isUserClaims(result.claims)) throw new Unauthorized('A client access token is required.', true, undefined, 'user token');
  const claims = result.claims;
  const client = await deps.clients.findById(claims.client_id);
  if (!client) throw new Unauthorized('The access token is invalid or expired.', true, undefined, 'client gone');
  if (await deps.revokedClientTokens.has(claims.jti, deps.clock.now())) {
    throw new Unauthorized('The access token has been revoked.', true, undefined, 'revoked jti');
  }
  if (requiredScope !== undefined && !hasScope(claims.scope, requiredScope)) {
    // RFC 6750 §3.1
    throw new OAuthError('insufficient_scope', `The access token lacks the "${requiredScope}" scope.`, 403);
  }
  return { claims, client };
}
