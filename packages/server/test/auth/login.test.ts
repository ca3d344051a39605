import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, contractError, cookieLogin, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let server: TestServer;
let email: string;
let userId: string;
beforeAll(async () => {
  server = await startTestServer();
  alignToSecond(server);
  email = uniqueEmail('login');
  userId = (await registerAccount(server.url, email, 'Grace Hopper')).id;
});
afterAll(() => server.close());

/** JWT times are whole seconds; starting on one makes `expires_in` exact rather than 899.6 rounded. */
function alignToSecond(s: TestServer): void {
  s.clock.advance(1000 - (s.clock.now() % 1000));
}

async function jwks(url: string): Promise<JSONWebKeySet> {
  const res = await call(url, 'GET', '/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return res.body as JSONWebKeySet;
}

describe('POST /auth/login with the cookie transport (the default)', () => {
  it('answers 200 {user, session, csrfToken} with no token in the body and Cache-Control: no-store', async () => {
    const { res } = await cookieLogin(server.url, email);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['csrfToken', 'session', 'user']);
    expect(res.body.user).toEqual({ id: userId, email, name: 'Grace Hopper', roles: [], tenant_id: null });
    expect(res.body.csrfToken).toEqual(expect.any(String));
    const text = JSON.stringify(res.body);
    for (const cookie of res.cookies.filter((c) => c.name !== '__Host-lk_csrf')) expect(text).not.toContain(cookie.value);
    expect(text).not.toMatch(/lkrt_|eyJ/);
  });

  it('sets the three cookies with exactly the attributes of API.md, and none persistent for a standard session', async () => {
    const { res } = await cookieLogin(server.url, email);
    const byName = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['__Host-lk_at', '__Host-lk_csrf', '__Secure-lk_rt']);
    expect(byName['__Host-lk_at']!.attributes).toEqual({ path: '/', httponly: true, secure: true, samesite: 'Lax' });
    expect(byName['__Secure-lk_rt']!.attributes).toEqual({ path: '/auth', httponly: true, secure: true, samesite: 'Strict' });
    expect(byName['__Host-lk_csrf']!.attributes).toEqual({ path: '/', secure: true, samesite: 'Strict' });
    expect(byName['__Host-lk_csrf']!.value).toBe(res.body.csrfToken);
    expect(byName['__Secure-lk_rt']!.value).toMatch(/^lkrt_[A-Za-z0-9_-]{43}$/);
    expect(decodeProtectedHeader(byName['__Host-lk_at']!.value).typ).toBe('at+jwt');
  });

  it('makes the refresh and csrf cookies persistent for remember:true, the csrf cookie living exactly as long as the refresh cookie', async () => {
    const { res } = await cookieLogin(server.url, email, { remember: true });
    const byName = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    const rt = byName['__Secure-lk_rt']!.attributes;
    const csrf = byName['__Host-lk_csrf']!.attributes;
    expect(rt['max-age']).toBe(String(30 * 86_400));
    expect(csrf['max-age']).toBe(rt['max-age']);
    expect(csrf.expires).toBe(rt.expires);
    expect(csrf).toMatchObject({ path: '/', secure: true, samesite: 'Strict' });
    expect(csrf.httponly).toBeUndefined();
    expect(rt).toMatchObject({ path: '/auth', httponly: true, secure: true, samesite: 'Strict' });
    expect(byName['__Host-lk_at']!.attributes).toMatchObject({ path: '/', httponly: true, secure: true, samesite: 'Lax' });
    expect(res.body.session.type).toBe('extended');
  });

  it('gives a standard session an absolute end 24 h from now and an extended one 30 days from now', async () => {
    const now = server.clock.now();
    const standard = (await cookieLogin(server.url, email)).res.body.session;
    expect(standard).toEqual({
      id: expect.any(String),
      type: 'standard',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + DAY).toISOString(),
      idleExpiresAt: new Date(now + DAY).toISOString(), // the 7-day idle end never passes the absolute one
      accessTokenExpiresAt: new Date(Math.floor(now / 1000) * 1000 + 900_000).toISOString(),
    });
    const extended = (await cookieLogin(server.url, email, { remember: true })).res.body.session;
    expect(extended.type).toBe('extended');
    expect(extended.expiresAt).toBe(new Date(now + 30 * DAY).toISOString());
    expect(extended.idleExpiresAt).toBe(new Date(now + 7 * DAY).toISOString());
  });
});

describe('POST /auth/login with the bearer transport', () => {
  it('answers {user, session, access_token, refresh_token, token_type:"Bearer", expires_in} with Cache-Control: no-store and no cookies', async () => {
    const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.cookies).toEqual([]);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'session', 'token_type', 'user']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: userId, email } });
    expect(res.body.refresh_token).toMatch(/^lkrt_[A-Za-z0-9_-]{43}$/);
    expect(res.body.session.type).toBe('standard');
  });

  it('issues an RFC 9068 access token whose claims are exactly those of API.md and whose signature verifies against the JWKS', async () => {
    const now = server.clock.now();
    const grant = await bearerLogin(server.url, email);
    const header = decodeProtectedHeader(grant.access_token);
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const keys = await jwks(server.url);
    expect(keys.keys.map((k) => k.kid)).toContain(header.kid);

    const claims = decodeJwt(grant.access_token);
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'name',
      'nbf',
      'roles',
      'scope',
      'sid',
      'sub',
    ]);
    expect(claims).toMatchObject({
      iss: server.url,
      sub: userId,
      aud: server.url,
      sid: grant.session.id,
      roles: [],
      name: 'Grace Hopper',
      iat: Math.floor(now / 1000),
      nbf: Math.floor(now / 1000),
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof claims.client_id).toBe('string');
    expect(claims.scope).toMatch(/^\S+( \S+)*$/);
    expect(claims.tenant_id).toBeUndefined();
    expect(grant.session.accessTokenExpiresAt).toBe(new Date(claims.exp! * 1000).toISOString());

    const verified = await jwtVerify(grant.access_token, createLocalJWKSet(keys), {
      issuer: server.url,
      audience: server.url,
      typ: 'at+jwt',
      currentDate: new Date(now),
    });
    expect(verified.payload.sub).toBe(userId);
    // A fresh jti per token.
    expect(decodeJwt((await bearerLogin(server.url, email)).access_token).jti).not.toBe(claims.jti);
  });

  it.each(['ES256', 'EdDSA'])('signs with LATCHKEY_SIGNING_ALG=%s, verifiable against the JWKS', async (alg) => {
    const custom = await startTestServer({ LATCHKEY_SIGNING_ALG: alg });
    try {
      const address = uniqueEmail(alg);
      await registerAccount(custom.url, address);
      const grant = await bearerLogin(custom.url, address);
      const header = decodeProtectedHeader(grant.access_token);
      expect(header).toEqual({ alg, typ: 'at+jwt', kid: expect.any(String) });
      const keys = await jwks(custom.url);
      expect(keys.keys.find((k) => k.kid === header.kid)).toMatchObject({ alg, use: 'sig' });
      const verified = await jwtVerify(grant.access_token, createLocalJWKSet(keys), {
        issuer: custom.url,
        audience: custom.url,
        typ: 'at+jwt',
        algorithms: [alg],
        currentDate: new Date(custom.clock.now()),
      });
      expect(verified.payload.sid).toBe(grant.session.id);
      expect((await call(custom.url, 'GET', '/auth/session', { bearer: grant.access_token })).status).toBe(200);
    } finally {
      await custom.close();
    }
  });

  it('puts tenant_id in the token only when the user has one', async () => {
    const user = await server.latchkey.stores.users.findById(userId);
    const tenantEmail = uniqueEmail('tenant');
    await server.latchkey.stores.users.create({
      ...user!,
      id: `${userId}-tenant`,
      email: tenantEmail,
      emailNormalized: tenantEmail,
      tenantId: 'acme',
      roles: ['editor'],
    });
    const grant = await bearerLogin(server.url, tenantEmail);
    expect(decodeJwt(grant.access_token)).toMatchObject({ tenant_id: 'acme', roles: ['editor'], sub: `${userId}-tenant` });
    expect(grant.user).toMatchObject({ tenant_id: 'acme', roles: ['editor'] });
  });

  it('refuses an unknown transport such as "jwt" with 400 invalid_request', async () => {
    for (const transport of ['jwt', 'Bearer', '', null, 1]) {
      const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport } });
      expect(res.status, JSON.stringify(transport)).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
    }
  });

  it('refuses "true", 1 and null for remember with 400 invalid_request', async () => {
    for (const remember of ['true', 1, null]) {
      const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, remember } });
      expect(res.status, JSON.stringify(remember)).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
    }
  });
});

describe('POST /auth/login with wrong credentials', () => {
  it('answers an unknown email and a wrong password with the identical 401 invalid_credentials body', async () => {
    const wrong = await call(server.url, 'POST', '/auth/login', { body: { email, password: 'not the password' } });
    const unknown = await call(server.url, 'POST', '/auth/login', { body: { email: uniqueEmail('nobody'), password: PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(contractError('invalid_credentials'));
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.cookies).toEqual([]);
    expect(unknown.cookies).toEqual([]);
    expect(unknown.headers.get('www-authenticate')).toBe(wrong.headers.get('www-authenticate'));
  });
});

describe('lifetimes from the environment', () => {
  it('respects LATCHKEY_ACCESS_TTL, LATCHKEY_SESSION_TTL, LATCHKEY_REMEMBER_TTL and LATCHKEY_IDLE_TTL', async () => {
    const custom = await startTestServer({
      LATCHKEY_ACCESS_TTL: '5m',
      LATCHKEY_SESSION_TTL: '2h',
      LATCHKEY_REMEMBER_TTL: '3d',
      LATCHKEY_IDLE_TTL: '1h',
    });
    alignToSecond(custom);
    try {
      const address = uniqueEmail('ttl');
      await registerAccount(custom.url, address);
      const now = custom.clock.now();
      const standard = await bearerLogin(custom.url, address);
      const claims = decodeJwt(standard.access_token);
      expect(claims.exp! - claims.iat!).toBe(300);
      expect(standard.expires_in).toBe(300);
      expect(standard.session.expiresAt).toBe(new Date(now + 2 * HOUR).toISOString());
      expect(standard.session.idleExpiresAt).toBe(new Date(now + HOUR).toISOString());

      const extended = await bearerLogin(custom.url, address, { remember: true });
      expect(extended.session.expiresAt).toBe(new Date(now + 3 * DAY).toISOString());
      expect(extended.session.idleExpiresAt).toBe(new Date(now + HOUR).toISOString());

      const { res } = await cookieLogin(custom.url, address, { remember: true });
      const rt = res.cookies.find((c) => c.name === '__Secure-lk_rt')!;
      expect(rt.attributes['max-age']).toBe(String(3 * 86_400));
    } finally {
      await custom.close();
    }
  });

  it('never lets an access token outlive its session', async () => {
    const custom = await startTestServer({ LATCHKEY_ACCESS_TTL: '2h', LATCHKEY_SESSION_TTL: '1h' });
    try {
      const address = uniqueEmail('short');
      await registerAccount(custom.url, address);
      const grant = await bearerLogin(custom.url, address);
      const claims = decodeJwt(grant.access_token);
      expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.parse(grant.session.expiresAt));
      expect(grant.expires_in).toBeLessThanOrEqual(3600);
    } finally {
      await custom.close();
    }
  });
});
