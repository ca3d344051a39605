import type { RequestContext } from '../../../ports.js';
import { OAuthError } from '../../errors.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant, GrantDeps, TokenRequest, TokenResponse } from './grant.js';
import { refreshTokenGrant } from './refresh-token.js';

export type { Grant, GrantDeps, TokenRequest, TokenResponse } from './grant.js';

/** Every grant the token endpoint knows; a new grant is a new module added here. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map(
  [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant].map((grant) => [grant.grantType, grant]),
);

/** POST /oauth2/token after client authentication: picks the grant and runs it (RFC 6749 §5). */
export async function exchange(
  deps: GrantDeps,
  input: { grantType: string | undefined; client: TokenRequest['client']; params: Record<string, string>; ctx: RequestContext },
): Promise<TokenResponse> {
  if (input.grantType === undefined) throw new OAuthError('invalid_request', 'The grant_type parameter is required.');
  const grant = GRANTS.get(input.grantType);
  if (!grant) throw new OAuthError('unsupported_grant_type', `The grant type "${input.grantType.slice(0, 64)}" is not supported.`);
  if (!input.client.grantTypes.includes(grant.grantType)) {
    throw new OAuthError('unauthorized_client', `This client may not use the ${grant.grantType} grant.`);
  }
  return grant.handler(deps, { client: input.client, params: input.params, ctx: input.ctx });
}
