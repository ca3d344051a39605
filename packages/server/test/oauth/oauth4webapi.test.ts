/**
 * Latchkey driven by oauth4webapi v3, unchanged: a public native/single-page client
 * (PKCE, no secret, loopback redirect on any port) and a confidential client using
 * client_secret_post, plus RFC 9068 validation of the access token and the mix-up
 * defence of RFC 9207.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, createClient, navigate, registerPerson } from './support.js';

const options = { [oauth.allowInsecureRequests]: true } as const;
let server: TestServer;
let other: TestServer;
let as: oauth.AuthorizationServer;
let person: { id: string; email: string };

beforeAll(async () => {
  [server, other] = await Promise.all([startTestServer(), startTestServer()]);
  person = await registerPerson(server, 'pat@example.com', 'Pat Public');
  await registerPerson(other, 'pat@example.com', 'Pat Elsewhere');
  for (const s of [server, other]) {
    await createClient(s, { id: 'native', public: true, redirectUris: ['http://127.0.0.1/callback'], firstParty: true });
  }
  const issuer = new URL(server.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oidc' }));
});
afterAll(async () => {
  await Promise.all([server.close(), other.close()]);
});

async function authorizeWith(s: TestServer, metadata: oauth.AuthorizationServer, client: oauth.Client, redirectUri: string, scope: string) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(metadata.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const jar = await browserLogin(s, 'pat@example.com');
  const res = await navigate(s, url.href, { jar });
  expect(res.status).toBe(302);
  return { callback: new URL(res.location!), verifier, state, nonce };
}

describe('oauth4webapi as a relying party', () => {
  it('runs code + PKCE for a public client on a loopback redirect with any port (RFC 8252 §7.3)', async () => {
    const client: oauth.Client = { client_id: 'native' };
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const { callback, verifier, state, nonce } = await authorizeWith(server, as, client, redirectUri, 'openid profile offline_access');
    expect(callback.origin).toBe('http://127.0.0.1:49152');

    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({ iss: server.url, aud: 'native', sub: person.id, nonce, name: 'Pat Public' });
    expect(result.scope).toBe('openid profile offline_access');

    // RFC 9068: a resource server validating the access token with the same library.
    const request = new Request('https://api.example.com/things', { headers: { authorization: `Bearer ${result.access_token}` } });
    const atClaims = await oauth.validateJwtAccessToken(as, request, server.url, options);
    expect(atClaims).toMatchObject({ sub: person.id, client_id: 'native', iss: server.url });

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      person.id,
      await oauth.userInfoRequest(as, client, result.access_token, options),
    );
    expect(info).toMatchObject({ sub: person.id, name: 'Pat Public' });

    // A public client refreshes with client_id only; the token rotates.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), result.refresh_token!, options),
    );
    expect(refreshed.refresh_token).not.toBe(result.refresh_token);

    // RFC 7009 with client_id only; afterwards the refresh token is dead.
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token!, options));
    const dead = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, options);
    await expect(oauth.processRefreshTokenResponse(as, client, dead)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('authenticates a confidential client with client_secret_post and introspects', async () => {
    const { secret } = await createClient(server, { id: 'postie', redirectUris: ['https://postie.example/cb'], firstParty: true });
    const client: oauth.Client = { client_id: 'postie' };
    const auth = oauth.ClientSecretPost(secret!);
    const { callback, verifier, state, nonce } = await authorizeWith(server, as, client, 'https://postie.example/cb', 'openid email');
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, 'https://postie.example/cb', verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce });
    expect(oauth.getValidatedIdTokenClaims(result)).toMatchObject({ email: 'pat@example.com', sub: person.id });

    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, result.access_token, options),
    );
    expect(introspection).toMatchObject({ active: true, client_id: 'postie', sub: person.id, scope: 'openid email' });

    // A public client may not introspect (RFC 7662 §2.1 needs authorization).
    const publicClient: oauth.Client = { client_id: 'native' };
    const refused = await oauth.introspectionRequest(as, publicClient, oauth.None(), result.access_token, options);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('detects a mix-up: a response from another issuer fails the iss check (RFC 9207)', async () => {
    const client: oauth.Client = { client_id: 'native' };
    const otherIssuer = new URL(other.url);
    const otherAs = await oauth.processDiscoveryResponse(
      otherIssuer,
      await oauth.discoveryRequest(otherIssuer, { ...options, algorithm: 'oidc' }),
    );
    expect(otherAs.authorization_response_iss_parameter_supported).toBe(true);
    const { callback, state } = await authorizeWith(other, otherAs, client, 'http://127.0.0.1:50000/callback', 'openid');
    expect(callback.searchParams.get('iss')).toBe(other.url);
    // The client believes it talked to `server`: the iss parameter says otherwise.
    expect(() => oauth.validateAuthResponse(as, client, callback, state)).toThrow(/unexpected "iss"/);
    // And with the right issuer the same response passes.
    expect(oauth.validateAuthResponse(otherAs, client, callback, state).get('code')).toMatch(/^lkac_/);
  });

  it('returns errors to the client with state and iss, which the library surfaces', async () => {
    const client: oauth.Client = { client_id: 'native' };
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: 'native',
      redirect_uri: 'http://127.0.0.1:40000/callback',
      response_type: 'code',
      scope: 'openid',
      state: 's-1',
      prompt: 'none',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const res = await navigate(server, url.href); // nobody signed in
    const callback = new URL(res.location!);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'login_required',
      error_description: expect.any(String),
      state: 's-1',
      iss: server.url,
    });
    expect(() => oauth.validateAuthResponse(as, client, callback, 's-1')).toThrow(oauth.AuthorizationResponseError);
  });
});
