import { InvalidGrant, OAuthError } from '../../errors.js';
import { refreshSession } from '../../sessions/refresh-session.js';
import { hashToken } from '../../tokens/opaque-token.js';
import { parseScope, scopesOutside } from '../scope.js';
import { secondsUntil, type Grant, type GrantDeps, type TokenRequest } from './grant.js';

/**
 * RFC 6749 §6 through the one rotation rule of /auth/refresh (refreshSession, API.md
 * "Tokens", RFC 9700 §4.14.2): the token is bound to its client, every use rotates it,
 * and a dead token revokes the whole session.
 */
async function handler(deps: GrantDeps, { client, params, ctx }: TokenRequest) {
  const refreshToken = params.refresh_token;
  if (refreshToken === undefined) throw new OAuthError('invalid_request', 'The refresh_token parameter is required.');
  if (params.scope !== undefined) await checkScope(deps, refreshToken, params.scope);
  try {
    const grant = await refreshSession(deps, { refreshToken, ctx, clientId: client.id });
    return {
      access_token: grant.accessToken.token,
      token_type: 'Bearer' as const,
      expires_in: secondsUntil(deps.clock.now(), grant.accessToken.expiresAt),
      refresh_token: grant.refreshToken,
      // RFC 6749 §5.1: the scope granted, which a narrower request does not change.
      scope: grant.session.scope,
    };
  } catch (error) {
    // Same rule, but RFC 6749 §5.2 answers invalid_grant with 400 (the /auth contract uses 401).
    if (error instanceof InvalidGrant) {
      const translated = new OAuthError('invalid_grant', error.description ?? 'The refresh token is invalid.', 400, error.debug);
      Object.assign(translated.extra, error.extra);
      throw translated;
    }
    throw error;
  }
}

/** RFC 6749 §6: a requested scope must be within what was granted. */
async function checkScope(deps: GrantDeps, refreshToken: string, scope: string) {
  const requested = parseScope(scope);
  if (!requested) throw new OAuthError('invalid_scope', 'The scope parameter is malformed.');
  const session = (await deps.sessions.findRefreshTokenWithSession(hashToken(refreshToken)))?.session;
  if (session && scopesOutside(requested, session.scope.split(' ')).length > 0) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope originally granted.');
  }
}

export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope'],
  handler,
};
