import { OAuthError } from '../../errors.js';
import { issueClientAccessToken } from '../client-token.js';
import { formatScope, OIDC_SCOPES, parseScope, scopesOutside } from '../scope.js';
import { secondsUntil, type Grant, type GrantDeps, type TokenRequest } from './grant.js';

const PERSON_SCOPES: readonly string[] = OIDC_SCOPES;

/**
 * RFC 6749 §4.4: a confidential client acting for itself. No person, no session, no
 * refresh token (§4.4.3); the scopes are those registered for the client.
 */
async function handler(deps: GrantDeps, { client, params }: TokenRequest) {
  if (client.public) throw new OAuthError('unauthorized_client', 'Public clients cannot use client_credentials.');
  const allowed = client.scopes.filter((s) => !PERSON_SCOPES.includes(s));
  let scopes = allowed;
  if (params.scope !== undefined) {
    const requested = parseScope(params.scope);
    if (!requested) throw new OAuthError('invalid_scope', 'The scope parameter is malformed.');
    const outside = scopesOutside(requested, allowed);
    if (outside.length) throw new OAuthError('invalid_scope', `This client may not request: ${outside.join(' ')}.`);
    scopes = requested;
  }
  const scope = formatScope(scopes);
  const issued = await issueClientAccessToken(deps, client, scope);
  return {
    access_token: issued.token,
    token_type: 'Bearer' as const,
    expires_in: secondsUntil(deps.clock.now(), issued.expiresAt),
    scope,
  };
}

export const clientCredentialsGrant: Grant = {
  grantType: 'client_credentials',
  parameters: ['scope'],
  handler,
};
