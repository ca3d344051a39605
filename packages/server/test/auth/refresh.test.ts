import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, contractError, cookieLogin, registerAccount, uniqueEmail } from './accounts.js';

const MINUTE = 60_000;

let server: TestServer;
let email: string;
beforeAll(async () => {
  server = await startTestServer();
  email = uniqueEmail('refresh');
  await registerAccount(server.url, email);
});
afterAll(() => server.close());

const cookieRefresh = (jar: CookieJar, options: { csrf?: boolean; headers?: Record<string, string>; body?: unknown } = {}) =>
  call(server.url, 'POST', '/auth/refresh', { jar, csrf: options.csrf ?? true, headers: options.headers, body: options.body });
const byName = (res: { cookies: Array<{ name: string }> }) => Object.fromEntries(res.cookies.map((c) => [c.name, c])) as any;

describe('POST /auth/refresh in cookie mode', () => {
  it('rotates with the refresh cookie and X-CSRF-Token: 200 {session, csrfToken}, new access and refresh cookies, the same CSRF token', async () => {
    const { jar, res: login } = await cookieLogin(server.url, email);
    const before = { at: jar.get('__Host-lk_at'), rt: jar.get('__Secure-lk_rt'), csrf: jar.get('__Host-lk_csrf') };
    server.clock.advance(1000);

    const res = await cookieRefresh(jar);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['csrfToken', 'session']);
    expect(res.body.csrfToken).toBe(before.csrf);
    expect(res.body.session.id).toBe(login.body.session.id);
    expect(JSON.stringify(res.body)).not.toMatch(/lkrt_|eyJ/);

    const set = byName(res);
    expect(Object.keys(set).sort()).toEqual(['__Host-lk_at', '__Host-lk_csrf', '__Secure-lk_rt']);
    expect(set['__Host-lk_at'].value).not.toBe(before.at);
    expect(set['__Secure-lk_rt'].value).not.toBe(before.rt);
    expect(set['__Secure-lk_rt'].value).toMatch(/^lkrt_[A-Za-z0-9_-]{43}$/);
    expect(set['__Host-lk_csrf'].value).toBe(before.csrf);
    expect(set['__Secure-lk_rt'].attributes).toEqual({ path: '/auth', httponly: true, secure: true, samesite: 'Strict' });

    // Twice more: the CSRF token stays the session's for its whole life.
    for (let i = 0; i < 2; i++) {
      const again = await cookieRefresh(jar);
      expect(again.status).toBe(200);
      expect(again.body.csrfToken).toBe(before.csrf);
    }
    expect((await call(server.url, 'GET', '/auth/session', { jar })).status).toBe(200);
  });

  it('refuses a refresh without X-CSRF-Token, or with a wrong one, with 403 csrf_failed and leaves the token usable', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const missing = await cookieRefresh(jar, { csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual(contractError('csrf_failed'));
    expect(missing.cookies).toEqual([]);
    const wrong = await cookieRefresh(jar, { csrf: false, headers: { 'x-csrf-token': 'A'.repeat(43) } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual(contractError('csrf_failed'));
    expect((await cookieRefresh(jar)).status).toBe(200);
  });

  it('refuses a CSRF token (cookie and header) of another session with 403 csrf_failed', async () => {
    const victim = await cookieLogin(server.url, email);
    const other = await cookieLogin(server.url, email);
    const mixed = new CookieJar();
    mixed.cookies.set('__Secure-lk_rt', victim.jar.cookies.get('__Secure-lk_rt')!);
    mixed.cookies.set('__Host-lk_csrf', other.jar.cookies.get('__Host-lk_csrf')!);
    const res = await cookieRefresh(mixed);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(contractError('csrf_failed'));
    // The victim's own token was not consumed.
    expect((await cookieRefresh(victim.jar)).status).toBe(200);
  });

  it('treats a replayed old refresh cookie as reuse: the session is revoked and the cookies cleared', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const stolen = jar.cookies.get('__Secure-lk_rt')!;
    expect((await cookieRefresh(jar)).status).toBe(200);
    expect((await cookieRefresh(jar)).status).toBe(200); // the successor is used: the stolen one is dead now

    const thief = new CookieJar();
    thief.cookies.set('__Secure-lk_rt', stolen);
    thief.cookies.set('__Host-lk_csrf', jar.cookies.get('__Host-lk_csrf')!);
    const replay = await cookieRefresh(thief);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(contractError('invalid_grant', 'reuse_detected'));
    expect(thief.cookies.size).toBe(0);
    // The rightful owner is signed out too, and told why.
    const owner = await call(server.url, 'GET', '/auth/session', { jar });
    expect(owner.body).toEqual(contractError('unauthorized', 'reuse_detected'));
    expect((await cookieRefresh(jar)).body).toEqual(contractError('invalid_grant', 'reuse_detected'));
  });

  it('works with an empty body and no Content-Type', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const res = await call(server.url, 'POST', '/auth/refresh', { jar, csrf: true, headers: { 'content-length': '0' } });
    expect(res.status).toBe(200);
  });

  it('keeps a standard session standard: no Max-Age on refresh even when the body asks for remember', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const res = await cookieRefresh(jar, { body: { remember: true } });
    expect(res.status).toBe(200);
    expect(res.body.session.type).toBe('standard');
    for (const cookie of res.cookies) {
      expect(cookie.attributes['max-age'], cookie.name).toBeUndefined();
      expect(cookie.attributes.expires, cookie.name).toBeUndefined();
    }
  });

  it('keeps an extended session extended: refresh and csrf cookies persist to the same moment, the absolute end', async () => {
    const { jar } = await cookieLogin(server.url, email, { remember: true });
    server.clock.advance(10 * MINUTE);
    const res = await cookieRefresh(jar);
    expect(res.status).toBe(200);
    expect(res.body.session.type).toBe('extended');
    const set = byName(res);
    const remaining = Math.floor((Date.parse(res.body.session.expiresAt) - server.clock.now()) / 1000);
    expect(set['__Secure-lk_rt'].attributes['max-age']).toBe(String(remaining));
    expect(set['__Host-lk_csrf'].attributes['max-age']).toBe(String(remaining));
  });

  it('answers 401 invalid_grant with no refresh token at all, in either mode', async () => {
    for (const options of [{}, { body: {} }, { headers: { 'x-csrf-token': 'anything' } }]) {
      const res = await call(server.url, 'POST', '/auth/refresh', options);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(contractError('invalid_grant'));
    }
  });
});

describe('POST /auth/refresh in bearer mode', () => {
  it('answers {access_token, refresh_token, token_type, expires_in, session} with no-store and no cookies', async () => {
    const grant = await bearerLogin(server.url, email);
    const res = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.cookies).toEqual([]);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'session', 'token_type']);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.refresh_token).not.toBe(grant.refresh_token);
    expect(res.body.session.id).toBe(grant.session.id);
    expect(decodeJwt(res.body.access_token).sid).toBe(grant.session.id);
    expect((await call(server.url, 'GET', '/auth/session', { bearer: res.body.access_token })).status).toBe(200);
  });

  it('keeps the session type across bearer refreshes', async () => {
    for (const remember of [false, true]) {
      const grant = await bearerLogin(server.url, email, { remember });
      const res = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token, remember: !remember } });
      expect(res.body.session.type).toBe(remember ? 'extended' : 'standard');
      expect(res.body.session.expiresAt).toBe(grant.session.expiresAt);
    }
  });

  it('refuses a refresh_token of the wrong type with 400 invalid_request', async () => {
    for (const refresh_token of [12345678, ['lkrt_x'], null, true]) {
      const res = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token } });
      expect(res.status, JSON.stringify(refresh_token)).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
    }
  });
});

describe('session lifetimes at refresh', () => {
  let short: TestServer;
  let address: string;
  beforeAll(async () => {
    short = await startTestServer({ LATCHKEY_IDLE_TTL: '10m', LATCHKEY_ACCESS_TTL: '15m', LATCHKEY_SESSION_TTL: '1h' });
    address = uniqueEmail('lifetime');
    await registerAccount(short.url, address);
  });
  afterAll(() => short.close());
  const refresh = (token: string) => call(short.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });

  it('ends a session left idle past LATCHKEY_IDLE_TTL with reason idle_timeout, at refresh and for its access token', async () => {
    const grant = await bearerLogin(short.url, address);
    short.clock.advance(9 * MINUTE);
    const first = await refresh(grant.refresh_token);
    expect(first.status).toBe(200);
    short.clock.advance(9 * MINUTE); // 18 minutes after login, 9 after the last refresh: still alive
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);

    short.clock.advance(10 * MINUTE); // idle for exactly LATCHKEY_IDLE_TTL
    const late = await refresh(second.body.refresh_token);
    expect(late.status).toBe(401);
    expect(late.body).toEqual(contractError('invalid_grant', 'idle_timeout'));
    // Its access token is not expired yet (15 minutes), but the session is over.
    const session = await call(short.url, 'GET', '/auth/session', { bearer: second.body.access_token });
    expect(session.status).toBe(401);
    expect(session.body).toEqual(contractError('unauthorized', 'idle_timeout'));
    expect(session.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('tells an access token of an idle session why it ended even before any refresh noticed', async () => {
    const grant = await bearerLogin(short.url, address);
    short.clock.advance(10 * MINUTE + 1000);
    const session = await call(short.url, 'GET', '/auth/session', { bearer: grant.access_token });
    expect(session.body).toEqual(contractError('unauthorized', 'idle_timeout'));
    expect((await refresh(grant.refresh_token)).body).toEqual(contractError('invalid_grant', 'idle_timeout'));
  });

  it('ends a session at its absolute lifetime with reason expired however often it is refreshed', async () => {
    const grant = await bearerLogin(short.url, address);
    let token = grant.refresh_token;
    for (let i = 0; i < 7; i++) {
      short.clock.advance(8 * MINUTE);
      const res = await refresh(token);
      expect(res.status).toBe(200);
      expect(res.body.session.expiresAt).toBe(grant.session.expiresAt);
      token = res.body.refresh_token;
    }
    short.clock.advance(5 * MINUTE); // 61 minutes after login
    const res = await refresh(token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('invalid_grant', 'expired'));
  });

  it('clears the cookies when a cookie-mode refresh finds the session ended', async () => {
    const { jar } = await cookieLogin(short.url, address);
    short.clock.advance(61 * MINUTE);
    const res = await call(short.url, 'POST', '/auth/refresh', { jar, csrf: true });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('invalid_grant', 'expired'));
    expect(res.cookies.map((c) => c.name).sort()).toEqual(['__Host-lk_at', '__Host-lk_csrf', '__Secure-lk_rt']);
    expect(jar.cookies.size).toBe(0);
  });
});
