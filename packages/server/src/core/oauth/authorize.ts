import type { ClientRecord, RequestContext, SessionRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { issueAuthorizationCode } from './authorization-code.js';
import { authorizationResponseUrl, errorResponseUrl, LOGIN_MARKER, type AuthorizationRequest } from './authorization-request.js';
import { grantConsent } from './consent.js';
import { createLoginMarker, loginMarkerSatisfied } from './login-marker.js';
import { OAuthError } from '../errors.js';
import { scopesOutside } from './scope.js';

export type AuthorizeDeps = Pick<CoreDeps, 'users' | 'consents' | 'authorizationCodes' | 'clock' | 'config' | 'audit'>;

/** What the person's browser does next. */
export type AuthorizeStep =
  /** Sign in (again), then come back to `returnTo` (a path on this server). */
  | { kind: 'login'; returnTo: string; reauthenticate: boolean }
  /** Ask the person (consent page) whether `client` may have `scopes`. */
  | { kind: 'consent'; client: ClientRecord; scopes: string[]; params: Record<string, string> }
  /** Back to the client with a code or an error. */
  | { kind: 'redirect'; location: string };

export interface AuthorizeInput {
  request: AuthorizationRequest;
  /** The person's first-party session from the access cookie, or null. */
  browser: SessionRecord | null;
  /** The person's answer on the consent page, when this is that answer. */
  consent?: 'allow' | 'deny';
  /** Key of the login marker (login-marker.ts). */
  markerKey: Buffer;
  ctx: RequestContext;
}

/**
 * The authorization endpoint's decision (RFC 6749 §4.1.1, OIDC Core §3.1.2.3-3.1.2.5):
 * sign in when nobody is, or when prompt=login / max_age demand a fresh sign-in; ask
 * for consent for third-party clients unless it was given for these scopes before
 * (first-party clients never ask, unless prompt=consent); then issue a code.
 * prompt=none turns every interaction into an error for the client.
 */
export async function authorize(deps: AuthorizeDeps, input: AuthorizeInput): Promise<AuthorizeStep> {
  const { request, browser } = input;
  const now = deps.clock.now();
  const redirectError = (code: OAuthError['code'], description: string): AuthorizeStep => ({
    kind: 'redirect',
    location: errorResponseUrl(
      { error: new OAuthError(code, description), redirect: { uri: request.redirectUri, state: request.state } },
      deps.config.issuer,
    ),
  });
  const login = (reauthenticate: boolean): AuthorizeStep => {
    const params = { ...request.params };
    delete params[LOGIN_MARKER];
    if (reauthenticate) {
      const prompt = [...request.prompt].filter((p) => p !== 'login');
      if (prompt.length) params.prompt = prompt.join(' ');
      else delete params.prompt;
      params[LOGIN_MARKER] = createLoginMarker(input.markerKey, now);
    }
    return { kind: 'login', returnTo: `/oauth2/authorize?${new URLSearchParams(params).toString()}`, reauthenticate };
  };

  if (input.consent === 'deny') return redirectError('access_denied', 'The person declined the request.');

  const user = browser ? await deps.users.findById(browser.userId) : null;
  if (!browser || !user || user.status !== 'active') {
    if (request.prompt.has('none')) return redirectError('login_required', 'The person is not signed in.');
    // The sign-in about to happen satisfies prompt=login and max_age: say so in the return URL.
    return login(request.prompt.has('login') || request.maxAge !== null);
  }
  if (!loginMarkerSatisfied(input.markerKey, request.loginMarker, browser.createdAt, now)) {
    // A marker that is not satisfied (old session, stale or forged marker) still means
    // "sign in again": the prompt=login it replaced is not in the URL any more.
    const tooOld = request.maxAge !== null && browser.createdAt + request.maxAge * 1000 < now;
    if (request.prompt.has('login') || request.loginMarker !== null || tooOld) {
      return request.prompt.has('none') ? redirectError('login_required', 'A new sign-in is required.') : login(true);
    }
  }

  if (input.consent === 'allow') {
    await grantConsent(deps, { userId: user.id, clientId: request.client.id, scopes: request.scopes, ctx: input.ctx });
  } else if (request.prompt.has('consent') || !(await consentCovers(deps, user.id, request))) {
    if (request.prompt.has('none')) return redirectError('consent_required', 'The person has not allowed this client these scopes.');
    return { kind: 'consent', client: request.client, scopes: request.scopes, params: request.params };
  }

  const code = await issueAuthorizationCode(deps, request, browser);
  return {
    kind: 'redirect',
    location: authorizationResponseUrl(request.redirectUri, deps.config.issuer, { code, state: request.state }),
  };
}

async function consentCovers(deps: Pick<CoreDeps, 'consents'>, userId: string, request: AuthorizationRequest): Promise<boolean> {
  if (request.client.firstParty) return true;
  const consent = await deps.consents.find(userId, request.client.id);
  return consent !== null && scopesOutside(request.scopes, consent.scopes).length === 0;
}
