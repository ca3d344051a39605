/**
 * The authorization endpoint as a browser meets it: the sign-in round trip, the consent
 * page of third-party clients (remembered, revocable, CSRF-protected), prompt=none,
 * prompt=login, prompt=consent, max_age, and errors returned to the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  authorizeUrl,
  browserLogin,
  consentForm,
  createClient,
  decodeJwt,
  navigate,
  obtainCode,
  pkcePair,
  registerPerson,
  tokenRequest,
} from './support.js';

const FIRST = 'https://first.example/cb';
const THIRD = 'https://third.example/cb';
let server: TestServer;
let firstSecret: string;
let thirdSecret: string;

beforeAll(async () => {
  server = await startTestServer();
  firstSecret = (await createClient(server, { id: 'first', name: 'Our App', redirectUris: [FIRST], firstParty: true })).secret!;
  thirdSecret = (await createClient(server, { id: 'third', name: 'Photo <Printer>', redirectUris: [THIRD] })).secret!;
});
afterAll(() => server.close());

function request(clientId: 'first' | 'third', extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  return {
    pkce,
    params: {
      client_id: clientId,
      redirect_uri: clientId === 'first' ? FIRST : THIRD,
      response_type: 'code',
      scope: 'openid profile',
      state: `state-${Math.random()}`,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    },
  };
}

async function exchange(clientId: 'first' | 'third', code: string, verifier: string) {
  const res = await tokenRequest(
    server,
    { grant_type: 'authorization_code', code, redirect_uri: clientId === 'first' ? FIRST : THIRD, code_verifier: verifier },
    { basic: [clientId, clientId === 'first' ? firstSecret : thirdSecret] },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { access_token: string; refresh_token: string; id_token: string };
}

describe('signing in through /login', () => {
  it('sends a signed-out person to /login and back, then to the client with a code', async () => {
    const person = await registerPerson(server);
    const { pkce, params } = request('first', { nonce: 'n-1' });
    const first = await navigate(server, authorizeUrl(server, params));
    expect(first.status).toBe(302);
    const login = new URL(first.location!, server.url);
    expect(login.pathname).toBe('/login');
    const returnTo = login.searchParams.get('return_to')!;
    expect(Object.fromEntries(new URL(returnTo, server.url).searchParams)).toEqual(params);

    // What the login page does: POST /auth/login with the cookie transport, then go to return_to.
    const jar = await browserLogin(server, person.email);
    const back = await navigate(server, returnTo, { jar });
    expect(back.status).toBe(302);
    const callback = new URL(back.location!);
    expect(callback.origin + callback.pathname).toBe(FIRST);
    expect(callback.searchParams.get('state')).toBe(params.state);
    const tokens = await exchange('first', callback.searchParams.get('code')!, pkce.verifier);
    expect(decodeJwt(tokens.id_token).payload).toMatchObject({ sub: person.id, nonce: 'n-1', aud: 'first' });
  });

  it('treats an expired access cookie as signed out', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    server.clock.advance(16 * 60_000);
    try {
      const res = await navigate(server, authorizeUrl(server, request('first').params), { jar });
      expect(res.status).toBe(302);
      expect(new URL(res.location!, server.url).pathname).toBe('/login');
    } finally {
      server.clock.advance(-16 * 60_000);
    }
  });

  it('accepts the request as a form POST too (OIDC Core §3.1.2.1), answering with 303', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const { params } = request('first');
    const res = await navigate(server, `${server.url}/oauth2/authorize`, { jar, form: params });
    expect(res.status).toBe(303);
    expect(new URL(res.location!).searchParams.get('code')).toMatch(/^lkac_/);
  });
});

describe('consent', () => {
  it('asks a person once per client and scope set, remembers the answer, and can be withdrawn', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const { pkce, params } = request('third');

    const page = await navigate(server, authorizeUrl(server, params), { jar });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://third.example");
    expect(page.body).toContain('<h1>Allow Photo &#60;Printer&#62; to use your account?</h1>');
    expect(page.body).toContain('See your name');
    expect(page.body).toContain('<button type="submit" name="decision" value="allow"');
    const form = consentForm(page.body);
    expect(form.csrf_token).toBe(jar.get('__Host-lk_csrf'));
    expect(form.client_id).toBe('third');

    const allowed = await navigate(server, '/oauth2/consent', { jar, form: { ...form, decision: 'allow' } });
    expect(allowed.status).toBe(303);
    const callback = new URL(allowed.location!);
    expect(callback.searchParams.get('state')).toBe(params.state);
    const tokens = await exchange('third', callback.searchParams.get('code')!, pkce.verifier);

    // Remembered: the same request goes straight back with a code.
    await obtainCode(server, jar, request('third').params);
    // A scope not yet allowed asks again; prompt=consent always asks.
    expect((await navigate(server, authorizeUrl(server, request('third', { scope: 'openid email' }).params), { jar })).status).toBe(200);
    expect((await navigate(server, authorizeUrl(server, request('third', { prompt: 'consent' }).params), { jar })).status).toBe(200);

    const listed = await call(server.url, 'GET', '/oauth2/consents', { jar });
    expect(listed.status).toBe(200);
    expect(listed.body.consents).toEqual([
      {
        client_id: 'third',
        client_name: 'Photo <Printer>',
        scopes: ['openid', 'profile'],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);

    // Withdrawing needs the CSRF header (cookie transport) and signs the app out at once.
    expect((await call(server.url, 'DELETE', '/oauth2/consents/third', { jar })).status).toBe(403);
    const withdrawn = await call(server.url, 'DELETE', '/oauth2/consents/third', { jar, csrf: true });
    expect(withdrawn.status).toBe(204);
    const info = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
    const refreshed = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      { basic: ['third', thirdSecret] },
    );
    expect(refreshed.body).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
    expect((await navigate(server, authorizeUrl(server, request('third').params), { jar })).status).toBe(200);
    expect((await call(server.url, 'DELETE', '/oauth2/consents/third', { jar, csrf: true })).status).toBe(404);
  });

  it('returns access_denied with state and iss when the person says no', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const { params } = request('third');
    const form = consentForm((await navigate(server, authorizeUrl(server, params), { jar })).body);
    const denied = await navigate(server, '/oauth2/consent', { jar, form: { ...form, decision: 'deny' } });
    expect(denied.status).toBe(303);
    const callback = new URL(denied.location!);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      error_description: expect.any(String),
      state: params.state,
      iss: server.url,
    });
  });

  it('refuses a consent answer without the session CSRF token, or with another session’s', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const other = await browserLogin(server, person.email);
    const form = consentForm((await navigate(server, authorizeUrl(server, request('third').params), { jar })).body);
    for (const csrf of [undefined, 'nope', other.get('__Host-lk_csrf')!]) {
      const { csrf_token: _drop, ...rest } = form;
      const res = await navigate(server, '/oauth2/consent', {
        jar,
        form: { ...rest, ...(csrf ? { csrf_token: csrf } : {}), decision: 'allow' },
        accept: 'application/json',
      });
      expect(res.status).toBe(403);
      expect(res.location).toBeNull();
      expect(JSON.parse(res.body).error).toBe('csrf_failed');
    }
    expect(await server.latchkey.deps.consents.find(person.id, 'third')).toBeNull();
  });

  it('never asks for first-party clients', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    await obtainCode(server, jar, request('first', { scope: 'openid profile email offline_access' }).params);
  });
});

describe('prompt and max_age (OIDC Core §3.1.2.1)', () => {
  it('prompt=none: login_required when signed out, consent_required without consent, a code otherwise', async () => {
    const person = await registerPerson(server);
    const expectError = async (jar: CookieJar | undefined, clientId: 'first' | 'third', error: string) => {
      const { params } = request(clientId, { prompt: 'none' });
      const res = await navigate(server, authorizeUrl(server, params), { jar });
      expect(res.status).toBe(302);
      const callback = new URL(res.location!);
      expect(callback.searchParams.get('error')).toBe(error);
      expect(callback.searchParams.get('state')).toBe(params.state);
    };
    await expectError(undefined, 'first', 'login_required');
    const jar = await browserLogin(server, person.email);
    await expectError(jar, 'third', 'consent_required');
    await obtainCode(server, jar, request('first', { prompt: 'none' }).params);
    const combined = await navigate(server, authorizeUrl(server, request('first', { prompt: 'none login' }).params), { jar });
    expect(new URL(combined.location!).searchParams.get('error')).toBe('invalid_request');
  });

  it('prompt=login sends a signed-in person to sign in again, and only a new sign-in gets the code', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    server.clock.advance(5_000);
    const { pkce, params } = request('first', { prompt: 'login' });
    const res = await navigate(server, authorizeUrl(server, params), { jar });
    expect(res.status).toBe(302);
    const login = new URL(res.location!, server.url);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('prompt')).toBe('login');
    const returnTo = new URL(login.searchParams.get('return_to')!, server.url);
    expect(returnTo.searchParams.get('prompt')).toBeNull();
    expect(returnTo.searchParams.get('lk_login')).toMatch(/^\d+\.[A-Za-z0-9_-]{22}$/);

    // Coming back with the old session is not enough.
    const stale = await navigate(server, returnTo.href, { jar });
    expect(new URL(stale.location!, server.url).pathname).toBe('/login');
    // A forged marker is not either.
    const forged = new URL(returnTo.href);
    forged.searchParams.set('lk_login', `${server.clock.now() - 60_000}.${'A'.repeat(22)}`);
    expect(new URL((await navigate(server, forged.href, { jar })).location!, server.url).pathname).toBe('/login');

    server.clock.advance(1_000);
    const fresh = await browserLogin(server, person.email);
    const back = await navigate(server, returnTo.href, { jar: fresh });
    const code = new URL(back.location!).searchParams.get('code')!;
    const tokens = await exchange('first', code, pkce.verifier);
    expect(decodeJwt(tokens.id_token).payload.auth_time).toBe(Math.floor(server.clock.now() / 1000));
  });

  it.each<Record<string, string>>([{ prompt: 'login' }, { max_age: '0' }])(
    'a signed-out person with %o signs in once and gets the code',
    async (extra) => {
      const person = await registerPerson(server);
      const { pkce, params } = request('first', extra);
      const first = await navigate(server, authorizeUrl(server, params));
      const returnTo = new URL(first.location!, server.url).searchParams.get('return_to')!;
      server.clock.advance(1_000);
      const jar = await browserLogin(server, person.email);
      const back = await navigate(server, returnTo, { jar });
      expect(back.status).toBe(302);
      const code = new URL(back.location!).searchParams.get('code');
      expect(code).toMatch(/^lkac_/);
      await exchange('first', code!, pkce.verifier);
    },
  );

  it('max_age: an older sign-in must be renewed; a recent one is enough', async () => {
    const person = await registerPerson(server);
    const signedInAt = server.clock.now();
    const jar = await browserLogin(server, person.email);
    server.clock.advance(120_000);
    const old = await navigate(server, authorizeUrl(server, request('first', { max_age: '60' }).params), { jar });
    expect(new URL(old.location!, server.url).pathname).toBe('/login');
    const { pkce, params } = request('first', { max_age: '300' });
    const { code } = await obtainCode(server, jar, params);
    const tokens = await exchange('first', code, pkce.verifier);
    expect(decodeJwt(tokens.id_token).payload.auth_time).toBe(Math.floor(signedInAt / 1000));
    const none = await navigate(server, authorizeUrl(server, request('first', { max_age: '60', prompt: 'none' }).params), { jar });
    expect(new URL(none.location!).searchParams.get('error')).toBe('login_required');
  });
});

describe('errors returned to the client (RFC 6749 §4.1.2.1)', () => {
  it.each([
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ response_type: '' }, 'invalid_request'],
    [{ scope: 'openid admin' }, 'invalid_scope'],
    [{ scope: 'bad"scope' }, 'invalid_scope'],
    [{ response_mode: 'fragment' }, 'invalid_request'],
    [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    [{ request_uri: 'https://third.example/r' }, 'request_uri_not_supported'],
    [{ max_age: '-1' }, 'invalid_request'],
  ] as Array<[Record<string, string>, string]>)('%o -> %s', async (extra, error) => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const { params } = request('first', extra);
    const res = await navigate(server, authorizeUrl(server, params), { jar });
    expect(res.status).toBe(302);
    const callback = new URL(res.location!);
    expect(callback.origin + callback.pathname).toBe(FIRST);
    expect(callback.searchParams.get('error')).toBe(error);
    expect(callback.searchParams.get('state')).toBe(params.state);
    expect(callback.searchParams.get('iss')).toBe(server.url);
  });

  it('refuses a repeated parameter', async () => {
    const { params } = request('first');
    const res = await navigate(server, `${authorizeUrl(server, params)}&scope=openid`);
    expect(new URL(res.location!).searchParams.get('error')).toBe('invalid_request');
  });

  it('tells a client without the authorization_code grant so', async () => {
    await createClient(server, { id: 'machine-with-uri', grantTypes: ['client_credentials'], redirectUris: ['https://m.example/cb'] });
    const res = await navigate(server, authorizeUrl(server, { client_id: 'machine-with-uri', response_type: 'code', state: 's' }));
    expect(new URL(res.location!).searchParams.get('error')).toBe('unauthorized_client');
  });
});

describe('the sign-in session used by authorize', () => {
  it('is only a Latchkey sign-in, never an app token placed in the cookie', async () => {
    const person = await registerPerson(server);
    const jar = await browserLogin(server, person.email);
    const { pkce, params } = request('first');
    const { code } = await obtainCode(server, jar, params);
    const tokens = await exchange('first', code, pkce.verifier);
    const forged = new CookieJar();
    forged.cookies.set('__Host-lk_at', { name: '__Host-lk_at', value: tokens.access_token, attributes: { path: '/' }, raw: '' });
    const res = await navigate(server, authorizeUrl(server, request('first').params), { jar: forged });
    expect(new URL(res.location!, server.url).pathname).toBe('/login');
  });
});
