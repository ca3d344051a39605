import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, contractError, cookieLogin, registerAccount, uniqueEmail } from './accounts.js';

let server: TestServer;
let email: string;
beforeAll(async () => {
  server = await startTestServer();
  email = uniqueEmail('transport');
  await registerAccount(server.url, email);
});
afterAll(() => server.close());

describe('the bearer transport', () => {
  it('answers a request without credentials with 401 unauthorized and a bare WWW-Authenticate: Bearer challenge', async () => {
    const res = await call(server.url, 'GET', '/auth/session');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer(\s|$)/);
    expect(challenge).not.toContain('error=');
  });

  it('adds error="invalid_token" when a token was sent but is not valid (RFC 6750 §3.1)', async () => {
    const grant = await bearerLogin(server.url, email);
    const [header, payload] = grant.access_token.split('.');
    const tampered = `${header}.${payload}.${'A'.repeat(342)}`;
    const expired = grant.access_token;
    for (const token of ['garbage', tampered, 'a.b.c']) {
      const res = await call(server.url, 'GET', '/auth/session', { bearer: token });
      expect(res.status, token).toBe(401);
      expect(res.body).toEqual(contractError('unauthorized'));
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    }
    server.clock.advance(16 * 60_000);
    const late = await call(server.url, 'GET', '/auth/session', { bearer: expired });
    expect(late.status).toBe(401);
    expect(late.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('refuses a non-Bearer Authorization header with 401, naming an error only when a Bearer token was sent', async () => {
    const cases: Array<[string, boolean]> = [
      ['Basic dXNlcjpwYXNz', false],
      ['Digest username="a"', false],
      ['Bearer', true],
      ['Bearer a b', true],
    ];
    for (const [authorization, tokenSent] of cases) {
      const res = await call(server.url, 'GET', '/auth/session', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.body).toEqual(contractError('unauthorized'));
      // RFC 6750 §3.1: no error code when the request carried no bearer token at all.
      expect(res.headers.get('www-authenticate'), authorization).toBe(
        tokenSent
          ? 'Bearer realm="latchkey", error="invalid_token", error_description="The access token is invalid"'
          : 'Bearer realm="latchkey"',
      );
    }
  });

  it('never reads an access token from the query string or the body', async () => {
    const grant = await bearerLogin(server.url, email);
    const token = grant.access_token;
    for (const path of [`/auth/session?access_token=${token}`, `/auth/sessions?access_token=${token}`]) {
      const res = await call(server.url, 'GET', path);
      expect(res.status, path).toBe(401);
      expect(res.body).toEqual(contractError('unauthorized'));
    }
    for (const path of ['/auth/logout', '/auth/logout-all']) {
      const res = await call(server.url, 'POST', path, { body: { access_token: token } });
      expect(res.status, path).toBe(401);
      const inQuery = await call(server.url, 'POST', `${path}?access_token=${token}`);
      expect(inQuery.status, path).toBe(401);
    }
    expect((await call(server.url, 'GET', '/auth/session', { bearer: token })).status).toBe(200);
  });

  it('needs no CSRF header: a bearer request carries no ambient credential', async () => {
    const grant = await bearerLogin(server.url, email);
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: grant.access_token })).status).toBe(204);
  });
});

describe('the cookie transport', () => {
  it('authenticates GET requests by the access cookie alone', async () => {
    const { jar } = await cookieLogin(server.url, email);
    expect((await call(server.url, 'GET', '/auth/session', { jar })).status).toBe(200);
    expect((await call(server.url, 'GET', '/auth/sessions', { jar })).status).toBe(200);
  });

  it('still reads the access cookie when an Authorization header of another scheme is sent (Basic from a proxy), CSRF included', async () => {
    const { jar, res: login } = await cookieLogin(server.url, email);
    const basic = { authorization: `Basic ${Buffer.from('proxy:secret').toString('base64')}` };
    const res = await call(server.url, 'GET', '/auth/session', { jar, headers: basic });
    expect(res.status).toBe(200);
    expect(res.body.session.id).toBe(login.body.session.id);
    const unsafe = await call(server.url, 'POST', '/auth/logout', { jar, headers: basic });
    expect(unsafe.status).toBe(403);
    expect(unsafe.body).toEqual(contractError('csrf_failed'));
    // A forged form post is refused as one before its body is read, Basic header or not.
    const form = await call(server.url, 'POST', '/auth/logout', {
      jar,
      headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(403);
    expect(form.body).toEqual(contractError('csrf_failed'));
    // A Bearer header always wins over the cookie, valid or not.
    const bearer = await call(server.url, 'GET', '/auth/session', { jar, headers: { authorization: 'Bearer not-a-token' } });
    expect(bearer.status).toBe(401);
  });

  it('refuses a cookie-authenticated POST or DELETE without X-CSRF-Token with 403 csrf_failed', async () => {
    const { jar, res: login } = await cookieLogin(server.url, email);
    const requests: Array<[string, string]> = [
      ['POST', '/auth/logout'],
      ['POST', '/auth/logout-all'],
      ['DELETE', `/auth/sessions/${login.body.session.id}`],
    ];
    for (const [method, path] of requests) {
      const res = await call(server.url, method, path, { jar });
      expect(res.status, path).toBe(403);
      expect(res.body).toEqual(contractError('csrf_failed'));
    }
    // Nothing happened: the session is alive.
    expect((await call(server.url, 'GET', '/auth/session', { jar })).status).toBe(200);
  });

  it('refuses a wrong X-CSRF-Token with 403 csrf_failed', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const csrf = jar.get('__Host-lk_csrf')!;
    for (const wrong of ['', 'x', csrf.slice(0, -1), `${csrf}x`, csrf.toUpperCase() === csrf ? csrf.toLowerCase() : csrf.toUpperCase()]) {
      const res = await call(server.url, 'POST', '/auth/logout', { jar, headers: { 'x-csrf-token': wrong } });
      expect(res.status, wrong).toBe(403);
      expect(res.body).toEqual(contractError('csrf_failed'));
    }
    expect((await call(server.url, 'POST', '/auth/logout', { jar, csrf: true })).status).toBe(204);
  });

  it('refuses a CSRF token of another session, even with the cookie set to match', async () => {
    const victim = await cookieLogin(server.url, email);
    const attacker = await cookieLogin(server.url, email);
    const attackerCsrf = attacker.jar.get('__Host-lk_csrf')!;

    // Header from the other session, own csrf cookie.
    const header = await call(server.url, 'POST', '/auth/logout', { jar: victim.jar, headers: { 'x-csrf-token': attackerCsrf } });
    expect(header.status).toBe(403);
    expect(header.body).toEqual(contractError('csrf_failed'));

    // Cookie and header both from the other session.
    const planted = new CookieJar();
    planted.cookies.set('__Host-lk_at', victim.jar.cookies.get('__Host-lk_at')!);
    planted.cookies.set('__Host-lk_csrf', attacker.jar.cookies.get('__Host-lk_csrf')!);
    const both = await call(server.url, 'POST', '/auth/logout', { jar: planted, csrf: true });
    expect(both.status).toBe(403);
    expect(both.body).toEqual(contractError('csrf_failed'));

    expect((await call(server.url, 'GET', '/auth/session', { jar: victim.jar })).status).toBe(200);
  });

  it('answers 401 (not 403) when the access cookie is not valid', async () => {
    const jar = new CookieJar();
    jar.cookies.set('__Host-lk_at', { name: '__Host-lk_at', value: 'not-a-jwt', attributes: { path: '/' }, raw: '' });
    const res = await call(server.url, 'GET', '/auth/session', { jar });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
  });
});
