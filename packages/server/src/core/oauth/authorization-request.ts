import type { ClientRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { isS256Challenge } from './pkce.js';
import { findRedirectUri } from './redirect-uri.js';
import { parseScope, scopesOutside } from './scope.js';

/** Latchkey's own parameter: "the person signed in again after this moment" (login-marker.ts). */
export const LOGIN_MARKER = 'lk_login';

/** Parameters of an authorization request that are kept when the person is sent to sign in or consent. */
const KNOWN_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'response_mode',
  'login_hint',
  'ui_locales',
  LOGIN_MARKER,
] as const;

const PROMPTS = new Set(['none', 'login', 'consent']);
const MAX_PARAMETER_LENGTH = 4096;

export interface AuthorizationRequest {
  client: ClientRecord;
  redirectUri: string;
  redirectUriGiven: boolean;
  scopes: string[];
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  /** OIDC Core §3.1.2.1; unknown values are ignored. */
  prompt: Set<string>;
  maxAge: number | null;
  loginMarker: string | null;
  /** The request's recognised parameters, single-valued: enough to replay it after sign-in or consent. */
  params: Record<string, string>;
}

/**
 * A request that fails. `redirect` is null when the client or redirect URI cannot be
 * trusted (RFC 6749 §4.1.2.1): then the person sees the error and is never sent on.
 */
export interface AuthorizationFailure {
  error: OAuthError;
  redirect: { uri: string; state: string | null } | null;
}

export type ParsedAuthorization = { ok: true; request: AuthorizationRequest } | { ok: false; failure: AuthorizationFailure };

/**
 * Validates an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core
 * §3.1.2.1), in the order that decides whether an error may be redirected: first the
 * client and the redirect URI, then everything else.
 */
export async function parseAuthorizationRequest(
  deps: Pick<CoreDeps, 'clients'>,
  raw: Record<string, unknown>,
): Promise<ParsedAuthorization> {
  const page = (description: string, debug?: string): ParsedAuthorization => ({
    ok: false,
    failure: { error: new OAuthError('invalid_request', description, 400, debug), redirect: null },
  });

  const clientId = raw.client_id;
  if (typeof clientId !== 'string' || clientId === '') return page('The client_id parameter is missing or repeated.');
  const client = clientId.length <= 128 ? await deps.clients.findById(clientId) : null;
  if (!client) return page('The client is not registered.', `unknown client ${clientId.slice(0, 128)}`);

  const requested = raw.redirect_uri;
  if (Array.isArray(requested)) return page('The redirect_uri parameter is repeated.');
  let redirectUri: string;
  const redirectUriGiven = typeof requested === 'string' && requested !== '';
  if (redirectUriGiven) {
    const match = requested.length <= 2000 ? findRedirectUri(client.redirectUris, requested) : null;
    if (!match) return page('The redirect_uri is not registered for this client.', `unregistered redirect_uri ${requested.slice(0, 200)}`);
    redirectUri = match;
  } else if (client.redirectUris.length === 1) {
    // RFC 6749 §3.1.2.3: optional when exactly one is registered.
    redirectUri = client.redirectUris[0]!;
  } else {
    return page('The redirect_uri parameter is required.');
  }

  // From here on the redirect URI is trusted: errors go back to the client.
  const rawState = raw.state;
  const state = typeof rawState === 'string' && rawState !== '' && rawState.length <= MAX_PARAMETER_LENGTH ? rawState : null;
  const fail = (code: OAuthError['code'], description: string): ParsedAuthorization => ({
    ok: false,
    failure: { error: new OAuthError(code, description), redirect: { uri: redirectUri, state } },
  });

  const params: Record<string, string> = {};
  for (const name of KNOWN_PARAMETERS) {
    const value = raw[name];
    // RFC 6749 §3.1: parameters MUST NOT be repeated; an empty one counts as absent.
    if (Array.isArray(value)) return fail('invalid_request', `The ${name} parameter is repeated.`);
    if (typeof value === 'string' && value !== '') {
      if (value.length > MAX_PARAMETER_LENGTH) return fail('invalid_request', `The ${name} parameter is too long.`);
      params[name] = value;
    }
  }
  if (raw.request !== undefined) return fail('request_not_supported', 'Request objects are not supported.');
  if (raw.request_uri !== undefined) return fail('request_uri_not_supported', 'The request_uri parameter is not supported.');
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'This client may not use the authorization code grant.');
  }
  if (params.response_type === undefined) return fail('invalid_request', 'The response_type parameter is required.');
  if (params.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
  if (params.response_mode !== undefined && params.response_mode !== 'query') {
    return fail('invalid_request', 'Only response_mode=query is supported.');
  }

  let scopes: string[];
  if (params.scope !== undefined) {
    const parsed = parseScope(params.scope);
    if (!parsed) return fail('invalid_scope', 'The scope parameter is malformed.');
    const outside = scopesOutside(parsed, client.scopes);
    if (outside.length) return fail('invalid_scope', `This client may not request: ${outside.join(' ')}.`);
    scopes = parsed;
  } else {
    // RFC 6749 §3.3: a pre-defined default; an OpenID request must say so itself.
    scopes = client.scopes.filter((s) => s !== 'openid');
  }
  // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID request, even with one
  // registered; RFC 6749 §4.1.2.1: a missing one is told to the person, not redirected to.
  if (scopes.includes('openid') && !redirectUriGiven) return page('The redirect_uri parameter is required in an OpenID Connect request.');

  // RFC 7636 §4.3 and RFC 9700 §2.1.1: S256 only; `plain` (also the default method) is refused.
  const challenge = params.code_challenge ?? null;
  const method = params.code_challenge_method;
  if (method !== undefined && method !== 'S256') return fail('invalid_request', 'Only code_challenge_method=S256 is supported.');
  if (challenge !== null && method === undefined) {
    return fail('invalid_request', 'code_challenge_method=S256 is required (the plain method is not supported).');
  }
  if (challenge === null && method !== undefined) return fail('invalid_request', 'code_challenge_method was sent without code_challenge.');
  if (challenge !== null && !isS256Challenge(challenge))
    return fail('invalid_request', 'The code_challenge is not a valid S256 challenge.');
  if (challenge === null && client.public)
    return fail('invalid_request', 'PKCE (code_challenge with S256) is required for public clients.');

  const prompt = new Set((params.prompt ?? '').split(' ').filter((p) => PROMPTS.has(p)));
  if (prompt.has('none') && prompt.size > 1) return fail('invalid_request', 'prompt=none cannot be combined with other values.');

  let maxAge: number | null = null;
  if (params.max_age !== undefined) {
    if (!/^\d{1,9}$/.test(params.max_age)) return fail('invalid_request', 'max_age must be a non-negative integer.');
    maxAge = Number(params.max_age);
  }
  if (params.nonce !== undefined && params.nonce.length > 512) return fail('invalid_request', 'The nonce is too long.');

  return {
    ok: true,
    request: {
      client,
      redirectUri,
      redirectUriGiven,
      scopes,
      state,
      nonce: params.nonce ?? null,
      codeChallenge: challenge,
      prompt,
      maxAge,
      loginMarker: params[LOGIN_MARKER] ?? null,
      params,
    },
  };
}

/** The authorization response (RFC 6749 §4.1.2), with `iss` on success and error alike (RFC 9207 §2). */
export function authorizationResponseUrl(redirectUri: string, issuer: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  url.searchParams.append('iss', issuer);
  return url.toString();
}

export function errorResponseUrl(
  failure: AuthorizationFailure & { redirect: { uri: string; state: string | null } },
  issuer: string,
): string {
  return authorizationResponseUrl(failure.redirect.uri, issuer, {
    error: failure.error.code,
    error_description: failure.error.description ?? null,
    state: failure.redirect.state,
  });
}
