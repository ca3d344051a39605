import type { CoreDeps } from '../deps.js';
import { OAuthError, Unauthorized } from '../errors.js';
import { authenticateAccessToken, type Authenticated, type AuthenticateDeps } from '../sessions/authenticate.js';
import { authenticateClientAccessToken, type AuthenticateClientTokenDeps } from './client-token.js';
import { profileClaims } from './id-token.js';
import { hasScope } from './scope.js';

/** OIDC Core §5.3: the claims the access token's scopes release about the person. */
export async function userInfo(deps: Pick<CoreDeps, 'users'>, auth: Authenticated): Promise<Record<string, unknown>> {
  // OIDC Core §5.3.3 / RFC 6750 §3.1
  if (!hasScope(auth.claims.scope, 'openid')) {
    throw new OAuthError('insufficient_scope', 'The access token was not issued for OpenID Connect (scope openid).', 403);
  }
  const user = await deps.users.findById(auth.session.userId);
  if (!user) throw new OAuthError('invalid_token', 'The access token is invalid.', 401, 'user gone');
  return { sub: user.id, ...profileClaims(user, auth.claims.scope) };
}

/**
 * UserInfo for a bearer token: a person's token gets their claims; a valid client-credentials
 * token names no person, so it lacks the scope this resource needs (RFC 6750 §3.1
 * `insufficient_scope`, 403) rather than being invalid.
 */
export async function userInfoForToken(
  deps: Pick<CoreDeps, 'users'> & AuthenticateDeps & AuthenticateClientTokenDeps,
  token: string,
): Promise<Record<string, unknown>> {
  let auth: Authenticated;
  try {
    auth = await authenticateAccessToken(deps, token);
  } catch (error) {
    if (!(error instanceof Unauthorized) || error.debug !== 'not_user_token') throw error;
    await authenticateClientAccessToken(deps, token); // a revoked client token stays invalid_token
    throw new OAuthError(
      'insufficient_scope',
      'A client credentials token names no person; UserInfo needs a token with scope openid.',
      403,
    );
  }
  return userInfo(deps, auth);
}
