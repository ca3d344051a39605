import type { ClientRecord, GrantType, RequestContext } from '../../../ports.js';
import type { CoreDeps } from '../../deps.js';
import type { EndSessionDeps } from '../../sessions/end-session.js';

/** RFC 6749 §5.1 */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
  id_token?: string;
}

export interface TokenRequest {
  /** The authenticated client (RFC 6749 §3.2.1). */
  client: ClientRecord;
  /** The form parameters, single-valued; an empty one is absent (RFC 6749 §3.1). */
  params: Readonly<Record<string, string>>;
  ctx: RequestContext;
}

export type GrantDeps = Pick<CoreDeps, 'sessions' | 'users' | 'keyRing' | 'clock' | 'config' | 'audit' | 'authorizationCodes'> &
  EndSessionDeps;

/**
 * One grant type of the token endpoint (after node-oidc-provider's
 * lib/actions/grants/*, without its Koa context): a new grant is a new module
 * registered in grants/index.ts.
 */
export interface Grant {
  grantType: GrantType;
  /** The parameters the grant reads besides grant_type and client authentication. */
  parameters: readonly string[];
  handler(deps: GrantDeps, request: TokenRequest): Promise<TokenResponse>;
}

/** `expires_in` of a token whose `exp` is `at` (ms), counted from the same whole second as its `iat`. */
export function secondsUntil(now: number, at: number): number {
  return Math.max(0, Math.floor(at / 1000) - Math.floor(now / 1000));
}
