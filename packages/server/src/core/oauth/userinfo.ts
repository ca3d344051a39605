import type { CoreDeps } from '../deps.js';
import { OAuthError } from '../errors.js';
import type { Authenticated } from '../sessions/authenticate.js';
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
