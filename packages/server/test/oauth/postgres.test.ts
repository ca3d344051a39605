/**
 * The OAuth flow on PostgreSQL (the clustered deployment's store): code + PKCE through
 * openid-client, concurrent exchanges of one code, concurrent refreshes, and a replayed
 * code revoking what was issued.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, createClient, formPost, navigate, registerPerson, tokenRequest } from './support.js';

const REDIRECT = 'https://pg-app.example/cb';

describe.skipIf(!postgresAvailable())('OAuth on PostgreSQL', () => {
  let pg: TestPostgres;
  let server: TestServer;
  let secret: string;
  let config: oidc.Configuration;
  let email: string;

  beforeAll(async () => {
    pg = await startPostgres();
    server = await startTestServer({ LATCHKEY_DATABASE_URL: await pg.createDatabase() });
    email = (await registerPerson(server)).email;
    secret = (await createClient(server, { id: 'pg-app', redirectUris: [REDIRECT], firstParty: true })).secret!;
    config = await oidc.discovery(new URL(server.url), 'pg-app', secret, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await server?.close();
    await pg?.stop();
  });

  async function authorize() {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const res = await navigate(server, url.href, { jar: await browserLogin(server, email) });
    return { callback: new URL(res.location!), verifier, nonce };
  }

  it('runs code + PKCE and rotates refresh tokens', async () => {
    const { callback, verifier, nonce } = await authorize();
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => oidc.refreshTokenGrant(config, tokens.refresh_token!)));
    expect(new Set(results.map((r) => r.refresh_token)).size).toBe(10);
    // The first successor used kills its siblings; presenting a sibling is reuse.
    await oidc.refreshTokenGrant(config, results[0]!.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, results[1]!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oidc.tokenIntrospection(config, results[0]!.access_token)).toEqual({ active: false });
  });

  it('lets at most one of concurrent exchanges of a code win, and revokes what it got', async () => {
    const { callback, verifier } = await authorize();
    const code = callback.searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
    const results = await Promise.all(Array.from({ length: 10 }, () => tokenRequest(server, form, { basic: ['pg-app', secret] })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant').length).toBe(10 - winners.length);
    for (const winner of winners) {
      expect((await formPost(server, '/oauth2/introspect', { token: winner.body.access_token }, ['pg-app', secret])).body).toEqual({
        active: false,
      });
    }
  });
});
