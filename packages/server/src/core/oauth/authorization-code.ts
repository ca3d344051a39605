import type { AuthorizationCodeRecord, SessionRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { generateOpaqueToken, hashToken } from '../tokens/opaque-token.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { formatScope } from './scope.js';

export const AUTHORIZATION_CODE_PREFIX = 'lkac_';
/** RFC 6749 §4.1.2 recommends at most 10 minutes; a redirect takes seconds. */
export const CODE_TTL_MS = 60_000;
/**
 * Used codes are kept this long after they expire, so a replay can still be recognised
 * and the tokens issued from the code revoked (RFC 6749 §4.1.2).
 */
export const CODE_RETENTION_MS = 24 * 3_600_000;

/** Issues a single-use code bound to the client, redirect URI, PKCE challenge and person. */
export async function issueAuthorizationCode(
  deps: Pick<CoreDeps, 'authorizationCodes' | 'clock'>,
  request: AuthorizationRequest,
  browser: SessionRecord,
): Promise<string> {
  const now = deps.clock.now();
  const code = generateOpaqueToken(AUTHORIZATION_CODE_PREFIX);
  const record: AuthorizationCodeRecord = {
    hash: hashToken(code),
    clientId: request.client.id,
    userId: browser.userId,
    browserSessionId: browser.id,
    sessionType: browser.type,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    scope: formatScope(request.scopes),
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallenge === null ? null : 'S256',
    // The session started when the person signed in: that is OIDC's auth_time.
    authTime: browser.createdAt,
    createdAt: now,
    expiresAt: now + CODE_TTL_MS,
    consumedAt: null,
    issuedSessionId: null,
    replayedAt: null,
  };
  await deps.authorizationCodes.insert(record);
  return code;
}
