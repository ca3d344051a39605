/**
 * The attacks of RFC 9700 (OAuth 2.0 Security Best Current Practice) against the
 * authorization code flow, each tried for real against a running server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/http/pages/client/return-to.js';
import { call, type CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  authorizeUrl,
  browserLogin,
  createClient,
  decodeJwt,
  formPost,
  navigate,
  obtainCode,
  pkcePair,
  registerPerson,
  tokenRequest,
} from './support.js';

const APP = 'https://app.example.com/callback';
const EVIL = 'https://evil.example/callback';
let server: TestServer;
let jar: CookieJar;
let appSecret: string;
let evilSecret: string;

beforeAll(async () => {
  server = await startTestServer();
  const person = await registerPerson(server);
  appSecret = (await createClient(server, { id: 'app', redirectUris: [APP, 'https://app.example.com/cb?tenant=1'], firstParty: true }))
    .secret!;
  evilSecret = (await createClient(server, { id: 'evil', redirectUris: [EVIL], firstParty: true })).secret!;
  await createClient(server, { id: 'spa', public: true, redirectUris: ['https://spa.example/'], firstParty: true });
  jar = await browserLogin(server, person.email);
});
afterAll(() => server.close());

function appCode(extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  const params = {
    client_id: 'app',
    redirect_uri: APP,
    response_type: 'code',
    scope: 'openid',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  return { pkce, params };
}

const exchange = (code: string, verifier: string | undefined, client: [string, string] = ['app', appSecret], redirectUri = APP) =>
  tokenRequest(
    server,
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...(verifier ? { code_verifier: verifier } : {}) },
    { basic: client },
  );

function expectInvalidGrant(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('code injection (RFC 9700 §4.5)', () => {
  it('refuses a code presented by another client, even with the right verifier', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, pkce.verifier, ['evil', evilSecret], APP));
    // The code was burnt by the attempt: the legitimate client cannot use it any more either.
    expectInvalidGrant(await exchange(code, pkce.verifier));
  });

  it('refuses a code with a verifier other than the one its challenge was made from', async () => {
    const { params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, pkcePair().verifier));
  });

  it('refuses a malformed verifier', async () => {
    const { params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, 'short'));
  });
});

describe('PKCE downgrade (RFC 9700 §4.8)', () => {
  it('refuses the token request when the challenge was sent but the verifier is missing', async () => {
    const { params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, undefined));
  });

  it('refuses a verifier when no challenge was sent (RFC 9700 §2.1.1)', async () => {
    const { params } = appCode();
    delete (params as Record<string, string>).code_challenge;
    delete (params as Record<string, string>).code_challenge_method;
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, pkcePair().verifier));
  });

  it.each([
    ['plain method', { code_challenge_method: 'plain' }],
    ['no method (which means plain)', { code_challenge_method: '' }],
    ['unknown method', { code_challenge_method: 'S512' }],
    ['a challenge that is not S256-shaped', { code_challenge: 'x'.repeat(42) }],
  ])('refuses %s at the authorization endpoint, back to the client', async (_label, extra) => {
    const { params } = appCode({ state: 'st', ...extra });
    const res = await navigate(server, authorizeUrl(server, params), { jar });
    expect(res.status).toBe(302);
    const back = new URL(res.location!);
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('st');
    expect(back.searchParams.get('iss')).toBe(server.url);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('requires PKCE from public clients', async () => {
    const res = await navigate(
      server,
      authorizeUrl(server, { client_id: 'spa', redirect_uri: 'https://spa.example/', response_type: 'code', scope: 'openid' }),
      { jar },
    );
    const back = new URL(res.location!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });
});

describe('redirect URI manipulation (RFC 9700 §4.1)', () => {
  it.each([
    ['a trailing slash', `${APP}/`],
    ['an extra query parameter', `${APP}?next=/admin`],
    ['a different port', 'https://app.example.com:8443/callback'],
    ['user information in the authority', 'https://app.example.com@evil.example/callback'],
    ['user information before the host', 'https://evil@app.example.com/callback'],
    ['another scheme', 'http://app.example.com/callback'],
    ['another host', EVIL],
    ['a subdomain', 'https://app.example.com.evil.example/callback'],
    ['a path suffix', `${APP}/../../evil`],
    ['a fragment', `${APP}#x`],
    ['a different case', 'https://APP.example.com/callback'],
    ['an encoded variant', 'https://app.example.com/%63allback'],
    ['another port on a loopback host that is not an IP literal', 'http://localhost:9999/callback'],
  ])('never redirects to the registered URI with %s', async (_label, redirectUri) => {
    const { params } = appCode({ redirect_uri: redirectUri, state: 'st' });
    const res = await navigate(server, authorizeUrl(server, params), { jar, accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid_request',
      error_description: 'The redirect_uri is not registered for this client.',
    });
  });

  it('shows a page to a browser, with no link to the URI', async () => {
    const { params } = appCode({ redirect_uri: EVIL });
    const res = await navigate(server, authorizeUrl(server, params), { jar });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.body).toContain('<h1>This sign-in request cannot continue</h1>');
    expect(res.body).not.toContain('evil.example');
  });

  it('matches a registered URI that has a query exactly', async () => {
    const { params } = appCode({ redirect_uri: 'https://app.example.com/cb?tenant=1', state: 'q' });
    const { redirect } = await obtainCode(server, jar, params);
    expect(redirect.searchParams.get('tenant')).toBe('1');
    expect(redirect.searchParams.get('state')).toBe('q');
  });

  it('binds the code to the redirect URI of the request', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    expectInvalidGrant(await exchange(code, pkce.verifier, ['app', appSecret], 'https://app.example.com/cb?tenant=1'));
  });

  it('never redirects for an unknown client, a missing redirect_uri with several registered, or a missing one in an OpenID request', async () => {
    const cases: Array<Record<string, string>> = [
      { client_id: 'nobody', redirect_uri: EVIL, response_type: 'code' },
      { client_id: 'app', response_type: 'code', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' },
      { redirect_uri: APP, response_type: 'code' },
    ];
    // OIDC Core §3.1.2.1: an OpenID request must name its redirect_uri even when one is registered.
    cases.push({
      client_id: 'spa',
      response_type: 'code',
      scope: 'openid',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    for (const params of cases) {
      const res = await navigate(server, authorizeUrl(server, params), { jar, accept: 'application/json' });
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(JSON.parse(res.body).error).toBe('invalid_request');
    }
    const repeated = await navigate(
      server,
      `${server.url}/oauth2/authorize?client_id=app&redirect_uri=${encodeURIComponent(APP)}&redirect_uri=${encodeURIComponent(EVIL)}&response_type=code`,
      {
        jar,
        accept: 'application/json',
      },
    );
    expect(repeated.status).toBe(400);
    expect(repeated.location).toBeNull();
  });
});

describe('open redirectors (RFC 9700 §4.11)', () => {
  it('sends a signed-out person to /login with a same-origin return_to', async () => {
    const { params } = appCode({ state: 'x' });
    const res = await navigate(server, authorizeUrl(server, params));
    expect(res.status).toBe(302);
    const login = new URL(res.location!, server.url);
    expect(login.origin).toBe(server.url);
    expect(login.pathname).toBe('/login');
    const returnTo = login.searchParams.get('return_to')!;
    expect(returnTo.startsWith('/oauth2/authorize?')).toBe(true);
    expect(safeReturnTo(returnTo, server.url)).toBe(returnTo);
  });

  it.each([
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
    'http://127.0.0.1:1/x',
    'http:\\\\evil.example/',
    'data:text/html,x',
  ])('the sign-in page refuses return_to=%s', (target) => {
    expect(safeReturnTo(target, server.url)).toBeNull();
  });

  it('the sign-in page refuses an absolute URL of this origin with credentials in it, and keeps one without', () => {
    const { host } = new URL(server.url);
    expect(safeReturnTo(`http://${host}@evil.example/`, server.url)).toBeNull();
    expect(safeReturnTo(`${server.url}/account?tab=1#x`, server.url)).toBe('/account?tab=1#x');
    expect(safeReturnTo(`${server.url.toUpperCase()}/account`, server.url)).toBe('/account');
    expect(safeReturnTo(`${server.url}/login?x=1`, server.url)).toBeNull();
  });

  it('does not redirect to the client when the request is refused before the client is known', async () => {
    const res = await navigate(server, `${server.url}/oauth2/authorize?response_type=code&redirect_uri=${encodeURIComponent(EVIL)}`, {
      accept: 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
  });
});

describe('mix-up (RFC 9700 §4.4, RFC 9207)', () => {
  it('names the issuer in every authorization response, success or error', async () => {
    const { params } = appCode({ state: 'ok' });
    const { redirect } = await obtainCode(server, jar, params);
    expect(redirect.searchParams.get('iss')).toBe(server.url);
    const denied = await navigate(server, authorizeUrl(server, { ...appCode().params, response_type: 'token', state: 'e' }), { jar });
    const error = new URL(denied.location!);
    expect(error.searchParams.get('error')).toBe('unsupported_response_type');
    expect(error.searchParams.get('iss')).toBe(server.url);
  });
});

describe('authorization code replay (RFC 6749 §4.1.2, RFC 9700 §4.5)', () => {
  it('revokes every token issued from a code when the code is presented again', async () => {
    const { pkce, params } = appCode({ scope: 'openid profile' });
    const { code } = await obtainCode(server, jar, params);
    const first = await exchange(code, pkce.verifier);
    expect(first.status).toBe(200);
    const { access_token: accessToken, refresh_token: refreshToken } = first.body;

    expectInvalidGrant(await exchange(code, pkce.verifier));

    // The access token, the refresh token and the session behind them are dead.
    const info = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(info.status).toBe(401);
    expect(await info.json()).toMatchObject({ error: 'invalid_token', reason: 'reuse_detected' });
    const refreshed = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      { basic: ['app', appSecret] },
    );
    expect(refreshed.status).toBe(400);
    expect(refreshed.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    const introspection = await formPost(server, '/oauth2/introspect', { token: accessToken }, ['app', appSecret]);
    expect(introspection.body).toEqual({ active: false });

    const audit = await server.latchkey.stores.audit.query({ type: 'authorization_code_reuse', limit: 5 });
    const sid = decodeJwt(accessToken).payload.sid;
    const events = audit.events.filter((e) => e.sessionId === sid);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: 'critical', data: { clientId: 'app', revoked: true, reason: 'reuse_detected' } });
    // A replayed code is not a refresh-token reuse: neither the audit log nor the metric says so.
    const reuse = await server.latchkey.stores.audit.query({ type: 'refresh_token_reuse', limit: 50 });
    expect(reuse.events.filter((e) => e.sessionId === sid)).toEqual([]);
  });

  it('lets exactly one of many concurrent exchanges of a code win, and the losers revoke it', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    const results = await Promise.all(Array.from({ length: 8 }, () => exchange(code, pkce.verifier)));
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.status === 400).length).toBeGreaterThanOrEqual(7);
    // Whatever was issued was revoked by the replays.
    for (const winner of winners) {
      const introspection = await formPost(server, '/oauth2/introspect', { token: winner.body.access_token }, ['app', appSecret]);
      expect(introspection.body).toEqual({ active: false });
    }
  });

  it('lets a code live 60 seconds', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    server.clock.advance(60_000);
    expectInvalidGrant(await exchange(code, pkce.verifier));
    server.clock.advance(-60_000);
    const { pkce: pkce2, params: params2 } = appCode();
    const { code: code2 } = await obtainCode(server, jar, params2);
    server.clock.advance(59_000);
    const ok = await exchange(code2, pkce2.verifier);
    server.clock.advance(-59_000);
    expect(ok.status).toBe(200);
  });
});

describe('tokens of one client at another', () => {
  it('refuses to refresh a token issued to another client', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    const issued = await exchange(code, pkce.verifier);
    const stolen = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token },
      { basic: ['evil', evilSecret] },
    );
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    // It still works for its own client.
    const own = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token },
      { basic: ['app', appSecret] },
    );
    expect(own.status).toBe(200);
  });

  it('refuses an app token at the account endpoints (a third-party token must not manage the account)', async () => {
    const { pkce, params } = appCode();
    const { code } = await obtainCode(server, jar, params);
    const issued = await exchange(code, pkce.verifier);
    const sessions = await call(server.url, 'GET', '/auth/sessions', { bearer: issued.body.access_token });
    expect(sessions.status).toBe(403);
    expect(sessions.body.error).toBe('forbidden');
    const logoutAll = await call(server.url, 'POST', '/auth/logout-all', { bearer: issued.body.access_token });
    expect(logoutAll.status).toBe(403);
  });
});
