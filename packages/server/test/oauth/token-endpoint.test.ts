/**
 * POST /oauth2/token, /oauth2/revoke and /oauth2/introspect at the HTTP level: client
 * authentication (client_secret_basic, client_secret_post, none) and the exact error
 * responses of RFC 6749 §5.2, plus client-credentials tokens and their revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateClientAccessToken } from '../../src/core/oauth/client-token.js';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, createClient, formPost, obtainCode, pkcePair, registerPerson, tokenRequest, type FormResult } from './support.js';

let server: TestServer;
let webSecret: string;
let machineSecret: string;

beforeAll(async () => {
  server = await startTestServer();
  webSecret = (await createClient(server, { id: 'web', redirectUris: ['https://web.example/cb'], firstParty: true })).secret!;
  machineSecret = (
    await createClient(server, { id: 'machine', grantTypes: ['client_credentials'], scopes: ['revocations:read', 'reports:read'] })
  ).secret!;
  await createClient(server, { id: 'public', public: true, redirectUris: ['https://public.example/cb'], firstParty: true });
});
afterAll(() => server.close());

function expectOAuthError(res: FormResult, status: number, error: string) {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error, error_description: expect.any(String) });
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('pragma')).toBe('no-cache');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('client authentication at the token endpoint (RFC 6749 §2.3)', () => {
  const cc = { grant_type: 'client_credentials' };

  it('accepts client_secret_basic and client_secret_post', async () => {
    const basic = await tokenRequest(server, cc, { basic: ['machine', machineSecret] });
    expect(basic.status).toBe(200);
    expect(basic.headers.get('cache-control')).toBe('no-store');
    expect(basic.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'revocations:read reports:read',
    });
    const post = await tokenRequest(server, { ...cc, client_id: 'machine', client_secret: machineSecret, scope: 'reports:read' });
    expect(post.status).toBe(200);
    expect(post.body.scope).toBe('reports:read');
  });

  it('decodes form-encoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const odd = await createClient(server, {
      id: 'odd.client~1',
      secret: 'p@ss:word+with spaces/and%',
      grantTypes: ['client_credentials'],
    });
    expect(odd.secret).toBe('p@ss:word+with spaces/and%');
    const res = await tokenRequest(server, cc, { basic: ['odd.client~1', 'p@ss:word+with spaces/and%'] });
    expect(res.status).toBe(200);
  });

  it('answers a wrong secret, an unknown client or no authentication with 401 invalid_client and a Basic challenge', async () => {
    for (const res of [
      await tokenRequest(server, cc, { basic: ['machine', 'wrong'] }),
      await tokenRequest(server, cc, { basic: ['nobody', 'x'] }),
      await tokenRequest(server, { ...cc, client_id: 'machine', client_secret: 'wrong' }),
      await tokenRequest(server, { ...cc, client_id: 'machine' }),
      await tokenRequest(server, cc),
      await tokenRequest(server, cc, { headers: { authorization: 'Basic !!!' } }),
      await tokenRequest(server, cc, { headers: { authorization: `Bearer ${'x'.repeat(20)}` } }),
    ]) {
      expectOAuthError(res, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="latchkey"/);
    }
  });

  it('refuses a secret from a public client and two methods at once', async () => {
    expectOAuthError(
      await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'public', client_secret: 'x' }),
      401,
      'invalid_client',
    );
    expectOAuthError(
      await tokenRequest(server, { ...cc, client_secret: machineSecret }, { basic: ['machine', machineSecret] }),
      400,
      'invalid_request',
    );
    expectOAuthError(
      await tokenRequest(server, { ...cc, client_id: 'web' }, { basic: ['machine', machineSecret] }),
      400,
      'invalid_request',
    );
  });
});

describe('token endpoint errors (RFC 6749 §5.2)', () => {
  it.each([
    ['no grant_type', {}, 400, 'invalid_request'],
    ['an unknown grant_type', { grant_type: 'password' }, 400, 'unsupported_grant_type'],
    ['a grant the client is not registered for', { grant_type: 'authorization_code', code: 'lkac_x' }, 400, 'unauthorized_client'],
    ['a scope outside the registration', { grant_type: 'client_credentials', scope: 'admin' }, 400, 'invalid_scope'],
    ['an OpenID scope for a machine', { grant_type: 'client_credentials', scope: 'openid' }, 400, 'invalid_scope'],
    [
      'a scope of spaces only (RFC 6749 §3.3: one scope-token at least)',
      { grant_type: 'client_credentials', scope: '   ' },
      400,
      'invalid_scope',
    ],
  ] as Array<[string, Record<string, string>, number, string]>)('%s', async (_label, form, status, error) => {
    expectOAuthError(await tokenRequest(server, form, { basic: ['machine', machineSecret] }), status, error);
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`machine:${machineSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=reports:read&scope=revocations:read',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('takes form bodies only', async () => {
    const json = await call(server.url, 'POST', '/oauth2/token', {
      body: { grant_type: 'client_credentials', client_id: 'machine', client_secret: machineSecret },
    });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    for (const type of ['text/plain', undefined]) {
      const res = await fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: new TextEncoder().encode('grant_type=client_credentials'),
      });
      expect(res.status, String(type)).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The body must be application/x-www-form-urlencoded.',
      });
    }
  });

  it('keeps error_description within the characters RFC 6749 §5.2 allows, even when it quotes the request', async () => {
    for (const grant of ['"x\\', 'client_credentials\u0000', 'ünïcode\n']) {
      const res = await tokenRequest(server, { grant_type: grant }, { basic: ['machine', machineSecret] });
      expectOAuthError(res, 400, 'unsupported_grant_type');
      expect(res.body.error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
    }
  });

  it('answers invalid_grant with 400 for codes and refresh tokens it does not know', async () => {
    expectOAuthError(
      await tokenRequest(
        server,
        { grant_type: 'authorization_code', code: `lkac_${'A'.repeat(43)}`, redirect_uri: 'https://web.example/cb' },
        { basic: ['web', webSecret] },
      ),
      400,
      'invalid_grant',
    );
    expectOAuthError(
      await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: 'lkrt_nope' }, { basic: ['web', webSecret] }),
      400,
      'invalid_grant',
    );
    expectOAuthError(await tokenRequest(server, { grant_type: 'refresh_token' }, { basic: ['web', webSecret] }), 400, 'invalid_request');
    expectOAuthError(
      await tokenRequest(server, { grant_type: 'authorization_code' }, { basic: ['web', webSecret] }),
      400,
      'invalid_request',
    );
  });

  it('refuses a refresh scope wider than the grant and keeps the granted scope for a narrower one', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const pkce = pkcePair();
    const { code } = await obtainCode(server, jar, {
      client_id: 'web',
      redirect_uri: 'https://web.example/cb',
      response_type: 'code',
      scope: 'openid profile',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    const issued = await tokenRequest(
      server,
      { grant_type: 'authorization_code', code, redirect_uri: 'https://web.example/cb', code_verifier: pkce.verifier },
      { basic: ['web', webSecret] },
    );
    expect(issued.body.id_token).toBeTruthy();
    const wider = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, scope: 'openid email' },
      { basic: ['web', webSecret] },
    );
    expectOAuthError(wider, 400, 'invalid_scope');
    const blank = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, scope: '  ' },
      { basic: ['web', webSecret] },
    );
    expectOAuthError(blank, 400, 'invalid_scope');
    const narrower = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, scope: 'openid' },
      { basic: ['web', webSecret] },
    );
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('openid profile');
  });

  it('answers CORS preflights for single-page apps', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
    const token = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: ['machine', machineSecret] });
    expect(token.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('client-credentials tokens', () => {
  it('are a separate kind: no person, no session, refused where a person is needed', async () => {
    const { body } = await tokenRequest(
      server,
      { grant_type: 'client_credentials', scope: 'revocations:read' },
      { basic: ['machine', machineSecret] },
    );
    const token = body.access_token as string;
    const verified = await authenticateClientAccessToken(server.latchkey.deps, token, 'revocations:read');
    expect(verified.client.id).toBe('machine');
    expect(verified.claims).toMatchObject({ sub: 'machine', client_id: 'machine', scope: 'revocations:read' });
    await expect(authenticateClientAccessToken(server.latchkey.deps, token, 'reports:read')).rejects.toMatchObject({
      code: 'insufficient_scope',
    });
    for (const path of ['/auth/session', '/auth/sessions']) {
      const res = await call(server.url, 'GET', path, { bearer: token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const info = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    // Valid, but it names no person: RFC 6750 §3.1 insufficient_scope, as a person's token without openid.
    expect(info.status).toBe(403);
    expect(info.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await info.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('UserInfo without any bearer token: 401 unauthorized and a challenge naming no error (RFC 6750 §3.1)', async () => {
    for (const headers of [{}, { authorization: 'Basic bWFjaGluZTp4' }] as Array<Record<string, string>>) {
      const res = await fetch(`${server.url}/oauth2/userinfo`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      expect(await res.json()).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required.' });
    }
  });

  it('a person’s token is refused where a client token is needed', async () => {
    const person = await registerPerson(server);
    const login = await call(server.url, 'POST', '/auth/login', {
      body: { email: person.email, password: 'oauth test passphrase 7', transport: 'bearer' },
    });
    await expect(authenticateClientAccessToken(server.latchkey.deps, login.body.access_token)).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('can be revoked (RFC 7009) and introspected', async () => {
    const { body } = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: ['machine', machineSecret] });
    const token = body.access_token as string;
    expect((await formPost(server, '/oauth2/introspect', { token }, ['machine', machineSecret])).body).toMatchObject({
      active: true,
      sub: 'machine',
    });
    // Another client may not revoke it, and learns nothing about it from introspection.
    const foreign = await formPost(server, '/oauth2/revoke', { token }, ['web', webSecret]);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe('unauthorized_client');
    expect((await formPost(server, '/oauth2/introspect', { token }, ['web', webSecret])).body).toMatchObject({ active: true });
    const revoked = await formPost(server, '/oauth2/revoke', { token, token_type_hint: 'access_token' }, ['machine', machineSecret]);
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('cache-control')).toBe('no-store');
    expect((await formPost(server, '/oauth2/introspect', { token }, ['machine', machineSecret])).body).toEqual({ active: false });
    await expect(authenticateClientAccessToken(server.latchkey.deps, token)).rejects.toMatchObject({ code: 'unauthorized' });
  });
});

describe('the revocation feed for machine clients (API.md "Revocation feed")', () => {
  it('is read with a client-credentials token carrying revocations:read, and shows a revoked client token as a jti rule', async () => {
    const reader = await tokenRequest(
      server,
      { grant_type: 'client_credentials', scope: 'revocations:read' },
      { basic: ['machine', machineSecret] },
    );
    const without = await tokenRequest(
      server,
      { grant_type: 'client_credentials', scope: 'reports:read' },
      { basic: ['machine', machineSecret] },
    );
    expect((await call(server.url, 'GET', '/revocations', { bearer: without.body.access_token })).status).toBe(403);
    const before = await call(server.url, 'GET', '/revocations', { bearer: reader.body.access_token });
    expect(before.status).toBe(200);

    const jti = JSON.parse(Buffer.from(without.body.access_token.split('.')[1], 'base64url').toString()).jti;
    expect((await formPost(server, '/oauth2/revoke', { token: without.body.access_token }, ['machine', machineSecret])).status).toBe(200);
    const after = await call(server.url, 'GET', `/revocations?after=${before.body.next}`, { bearer: reader.body.access_token });
    expect(after.body.events).toEqual([
      { cursor: expect.any(String), type: 'jti', id: jti, at: expect.any(String), until: expect.any(String) },
    ]);

    // A revoked reader is refused at once.
    await formPost(server, '/oauth2/revoke', { token: reader.body.access_token }, ['machine', machineSecret]);
    expect((await call(server.url, 'GET', '/revocations', { bearer: reader.body.access_token })).status).toBe(401);
  });
});

describe('revocation and introspection requests', () => {
  it('revoking an unknown or malformed token is 200 (RFC 7009 §2.2); no token is invalid_request', async () => {
    for (const token of ['lkrt_unknown', 'not-a-token', `lkrt_${'B'.repeat(43)}`]) {
      expect((await formPost(server, '/oauth2/revoke', { token }, ['web', webSecret])).status).toBe(200);
    }
    expectOAuthError(await formPost(server, '/oauth2/revoke', {}, ['web', webSecret]), 400, 'invalid_request');
    expectOAuthError(await formPost(server, '/oauth2/revoke', { token: 'x' }, ['web', 'bad']), 401, 'invalid_client');
  });

  it('introspection needs an authenticated confidential client and answers inactive for junk', async () => {
    expect((await formPost(server, '/oauth2/introspect', { token: 'junk' }, ['web', webSecret])).body).toEqual({ active: false });
    expectOAuthError(await formPost(server, '/oauth2/introspect', { token: 'junk', client_id: 'public' }), 401, 'invalid_client');
    expectOAuthError(await formPost(server, '/oauth2/introspect', { token: 'junk' }), 401, 'invalid_client');
  });
});
