import { auditEvent } from '../../audit/audit-event.js';
import { OAuthError } from '../../errors.js';
import { endSession } from '../../sessions/end-session.js';
import { startSession } from '../../sessions/start-session.js';
import { hashToken, looksLikeOpaqueToken } from '../../tokens/opaque-token.js';
import { AUTHORIZATION_CODE_PREFIX } from '../authorization-code.js';
import { issueIdToken } from '../id-token.js';
import { verifierMatches } from '../pkce.js';
import { hasScope } from '../scope.js';
import { secondsUntil, type Grant, type GrantDeps, type TokenRequest } from './grant.js';

const invalidGrant = (debug: string) =>
  new OAuthError('invalid_grant', 'The authorization code is invalid, expired, already used, or was issued to another client.', 400, debug);

/**
 * RFC 6749 §4.1.3-4.1.4 with PKCE (RFC 7636 §4.5-4.6). The code is consumed before it
 * is checked, so a code is worth one attempt; presenting it again revokes whatever was
 * issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
 */
async function handler(deps: GrantDeps, { client, params, ctx }: TokenRequest) {
  const code = params.code;
  if (code === undefined) throw new OAuthError('invalid_request', 'The code parameter is required.');
  if (!looksLikeOpaqueToken(code, AUTHORIZATION_CODE_PREFIX)) throw invalidGrant('malformed code');
  const hash = hashToken(code);
  const now = deps.clock.now();
  const consumed = await deps.authorizationCodes.consume(hash, now);
  if (!consumed) throw invalidGrant('unknown code');
  const record = consumed.code;

  if (!consumed.first) {
    const sessionId = await deps.authorizationCodes.markReplayed(hash, now);
    await revokeIssued(deps, sessionId, record.userId, ctx, client.id);
    throw invalidGrant('code replayed');
  }
  // RFC 9700 §4.5: a code is bound to its client, redirect URI and PKCE challenge.
  if (record.clientId !== client.id) throw invalidGrant(`code of client ${record.clientId} presented by ${client.id}`);
  if (now >= record.expiresAt) throw invalidGrant('code expired');
  const redirectUri = params.redirect_uri;
  if (record.redirectUriGiven || redirectUri !== undefined) {
    if (redirectUri !== record.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request');
  }
  const verifier = params.code_verifier;
  if (record.codeChallenge !== null) {
    if (verifier === undefined) throw invalidGrant('code_verifier missing (PKCE downgrade)');
    if (!verifierMatches(record.codeChallenge, verifier)) throw invalidGrant('code_verifier does not match');
  } else if (verifier !== undefined) {
    // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
    throw invalidGrant('code_verifier without a code_challenge');
  }

  const user = await deps.users.findById(record.userId);
  if (!user || user.status !== 'active') throw invalidGrant('account not active');
  const grant = await startSession(deps, {
    user,
    remember: record.sessionType === 'extended',
    ctx,
    clientId: client.id,
    scope: record.scope,
  });
  // A replay that arrived while the session was being created: it must not survive.
  if ((await deps.authorizationCodes.attachSession(hash, grant.session.id)).replayed) {
    await revokeIssued(deps, grant.session.id, user.id, ctx, client.id);
    throw invalidGrant('code replayed during the exchange');
  }

  const scope = grant.session.scope;
  return {
    access_token: grant.accessToken.token,
    token_type: 'Bearer' as const,
    expires_in: secondsUntil(now, grant.accessToken.expiresAt),
    ...(client.grantTypes.includes('refresh_token') ? { refresh_token: grant.refreshToken } : {}),
    scope,
    ...(hasScope(scope, 'openid')
      ? {
          id_token: await issueIdToken(deps, {
            user,
            clientId: client.id,
            sessionId: grant.session.id,
            scope,
            authTime: record.authTime,
            nonce: record.nonce,
            accessToken: grant.accessToken.token,
          }),
        }
      : {}),
  };
}

async function revokeIssued(deps: GrantDeps, sessionId: string | null, userId: string, ctx: TokenRequest['ctx'], clientId: string) {
  const session = sessionId ? await deps.sessions.findById(sessionId) : null;
  // One `authorization_code_reuse` event: with the ended session's details when the
  // replay ended it, on its own when there was nothing left to end.
  const ended =
    session !== null && (await endSession(deps, session, 'reuse_detected', ctx, { clientId, revoked: true }, 'authorization_code_reuse'));
  if (!ended) {
    await deps.audit.record(
      auditEvent('authorization_code_reuse', ctx, deps.clock.now(), { userId, sessionId, data: { clientId, revoked: false } }),
    );
  }
}

export const authorizationCodeGrant: Grant = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier'],
  handler,
};
