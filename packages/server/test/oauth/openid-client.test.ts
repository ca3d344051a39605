/**
 * Latchkey driven by openid-client v6, unchanged, as a server-rendered relying party
 * would use it: discovery, code + PKCE with an ID token, UserInfo, refresh, introspection,
 * revocation, and the client credentials grant.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, createClient, decodeJwt, navigate, registerPerson } from './support.js';

const REDIRECT = 'https://app.example.com/callback';
let server: TestServer;
let secret: string;
let person: { id: string; email: string; name: string };

beforeAll(async () => {
  server = await startTestServer();
  person = await registerPerson(server, 'olive@example.com', 'Olive Oidc');
  const registered = await createClient(server, { id: 'webapp', name: 'Web App', redirectUris: [REDIRECT], firstParty: true });
  secret = registered.secret!;
});
afterAll(() => server.close());

const insecure = { execute: [oidc.allowInsecureRequests] };

async function discover(clientId = 'webapp', clientSecret = secret) {
  return oidc.discovery(new URL(server.url), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), insecure);
}

/** The browser half: the person is signed in with cookies, the RP sends them to authorize. */
async function signInThroughBrowser(config: oidc.Configuration, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const jar = await browserLogin(server, person.email);
  const res = await navigate(server, url.href, { jar });
  expect(res.status).toBe(302);
  return { callback: new URL(res.location!), verifier, state, nonce };
}

describe('openid-client as a relying party', () => {
  it('discovers the provider from /.well-known/openid-configuration', async () => {
    const config = await discover();
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.url);
    expect(metadata.authorization_endpoint).toBe(`${server.url}/oauth2/authorize`);
    expect(metadata.token_endpoint).toBe(`${server.url}/oauth2/token`);
    expect(metadata.jwks_uri).toBe(`${server.url}/.well-known/jwks.json`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    // RFC 8414: the same document at the OAuth path.
    const oauth = await call(server.url, 'GET', '/.well-known/oauth-authorization-server');
    expect(oauth.body).toEqual(metadata);
  });

  it('signs a person in with code + PKCE, validates the ID token and reads UserInfo', async () => {
    const config = await discover();
    const { callback, verifier, state, nonce } = await signInThroughBrowser(config);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('iss')).toBe(server.url);
    expect(callback.searchParams.get('state')).toBe(state);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
      maxAge: 300,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('openid profile email');
    expect(tokens.refresh_token).toMatch(/^lkrt_/);
    expect(tokens.expires_in).toBe(900);

    // openid-client checked signature, iss, aud, exp, iat, nonce and auth_time; check the rest.
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(person.id);
    expect(claims.aud).toBe('webapp');
    expect(claims.nonce).toBe(nonce);
    expect(claims.name).toBe('Olive Oidc');
    expect(claims.email).toBe('olive@example.com');
    expect(typeof claims.auth_time).toBe('number');
    const idToken = decodeJwt(tokens.id_token!);
    expect(idToken.header.typ).toBe('JWT');
    expect(idToken.header.kid).toBeTruthy();
    const { createHash } = await import('node:crypto');
    const atHash = createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url');
    expect(claims.at_hash).toBe(atHash);
    const access = decodeJwt(tokens.access_token);
    expect(access.header.typ).toBe('at+jwt');
    expect(access.payload).toMatchObject({ sub: person.id, client_id: 'webapp', scope: 'openid profile email', sid: claims.sid });

    const info = await oidc.fetchUserInfo(config, tokens.access_token, person.id);
    expect(info).toEqual({
      sub: person.id,
      name: 'Olive Oidc',
      updated_at: expect.any(Number),
      email: 'olive@example.com',
      email_verified: false,
    });
  });

  it('refreshes under the rotation rule, introspects and revokes', async () => {
    const config = await discover();
    const { callback, verifier, state, nonce } = await signInThroughBrowser(config);
    const first = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });

    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toMatch(/^lkrt_/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe('openid profile email');
    expect(decodeJwt(second.access_token).payload.sid).toBe(decodeJwt(first.access_token).payload.sid);

    const active = await oidc.tokenIntrospection(config, second.access_token);
    expect(active).toMatchObject({
      active: true,
      client_id: 'webapp',
      sub: person.id,
      scope: 'openid profile email',
      token_type: 'Bearer',
    });
    const rt = await oidc.tokenIntrospection(config, second.refresh_token!);
    expect(rt).toMatchObject({ active: true, client_id: 'webapp', sub: person.id });

    await oidc.tokenRevocation(config, second.refresh_token!);
    expect(await oidc.tokenIntrospection(config, second.refresh_token!)).toEqual({ active: false });
    // The session is over, so its access token is no longer active either.
    expect(await oidc.tokenIntrospection(config, second.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(config, second.access_token, person.id)).rejects.toThrow();
  });

  it('reports reuse of a rotated refresh token and revokes the session', async () => {
    const config = await discover();
    const { callback, verifier, state, nonce } = await signInThroughBrowser(config);
    const first = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    await oidc.refreshTokenGrant(config, second.refresh_token!);
    // first's successor has been used: first is dead, and presenting it is reuse.
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
      status: 400,
    });
    expect(await oidc.tokenIntrospection(config, second.access_token)).toEqual({ active: false });
  });

  it('gets a client-credentials token without a person', async () => {
    const worker = await createClient(server, { id: 'worker-2', grantTypes: ['client_credentials'], scopes: ['revocations:read'] });
    const config = await oidc.discovery(new URL(server.url), 'worker-2', worker.secret!, undefined, insecure);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'revocations:read' });
    expect(tokens.scope).toBe('revocations:read');
    expect(tokens.refresh_token).toBeUndefined();
    const claims = decodeJwt(tokens.access_token).payload;
    expect(claims).toMatchObject({ sub: 'worker-2', client_id: 'worker-2', scope: 'revocations:read', iss: server.url });
    expect(claims.sid).toBeUndefined();
    const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, client_id: 'worker-2', sub: 'worker-2' });
    // A client token is not a person's: the account endpoints and UserInfo refuse it.
    const session = await call(server.url, 'GET', '/auth/session', { bearer: tokens.access_token });
    expect(session.status).toBe(401);
    await expect(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).rejects.toThrow();
  });
});

describe.each(['ES256', 'EdDSA'] as const)('openid-client with %s signing keys', (alg) => {
  let s: TestServer;
  let clientSecret: string;
  beforeAll(async () => {
    s = await startTestServer({ LATCHKEY_SIGNING_ALG: alg });
    await registerPerson(s, 'alg@example.com', 'Al Gorithm');
    clientSecret = (await createClient(s, { id: 'algapp', redirectUris: [REDIRECT], firstParty: true })).secret!;
  });
  afterAll(() => s.close());

  it('validates the ID token (signature, at_hash) and the access token', async () => {
    const config = await oidc.discovery(new URL(s.url), 'algapp', clientSecret, undefined, insecure);
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual([alg]);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const jar = await browserLogin(s, 'alg@example.com');
    const res = await navigate(s, url.href, { jar });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(res.location!), { pkceCodeVerifier: verifier, expectedNonce: nonce });
    expect(decodeJwt(tokens.id_token!).header.alg).toBe(alg);
    expect(tokens.claims()!.aud).toBe('algapp');
    const { leftHalfHash } = await import('../../src/core/oauth/id-token.js');
    expect(tokens.claims()!.at_hash).toBe(leftHalfHash(alg, tokens.access_token));
  });
});
