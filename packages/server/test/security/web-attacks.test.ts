import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, cookieLogin, createAdmin, PASSWORD, register } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const session = (jar: CookieJar) => call(server.url, 'GET', '/auth/session', { jar });

describe('CSRF and cookie tossing', () => {
  it('refuses cookie-authenticated unsafe requests without X-CSRF-Token, or with a wrong one, with 403 csrf_failed', async () => {
    await register(server, 'csrf@example.com');
    const { jar, body } = await cookieLogin(server, 'csrf@example.com');
    const unsafe: Array<[string, string, unknown]> = [
      ['POST', '/auth/logout', undefined],
      ['POST', '/auth/logout-all', undefined],
      ['DELETE', `/auth/sessions/${body.session.id}`, undefined],
      ['POST', '/auth/password', { currentPassword: PASSWORD, newPassword: 'another passphrase here' }],
      ['POST', '/auth/mfa/totp/setup', undefined],
      ['POST', '/auth/mfa/totp/enable', { code: '123456' }],
      ['POST', '/auth/mfa/totp/disable', { code: '123456' }],
    ];
    for (const [method, path, reqBody] of unsafe) {
      const variants: Array<Record<string, string>> = [
        {},
        { 'x-csrf-token': 'wrong' },
        { 'x-csrf-token': '' },
        { 'x-csrf-token': body.csrfToken + 'x' },
      ];
      for (const headers of variants) {
        const res = await call(server.url, method, path, { jar, body: reqBody, headers });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.body.error).toBe('csrf_failed');
      }
    }
    // Nothing happened: the session is alive and safe methods need no header.
    expect((await session(jar)).status).toBe(200);
    // Refresh by cookie is an unsafe request too.
    const refresh = await call(server.url, 'POST', '/auth/refresh', { jar });
    expect(refresh.status).toBe(403);
    expect(refresh.body.error).toBe('csrf_failed');
  });

  it('refuses a CSRF token tossed in from another session, even when cookie and header agree', async () => {
    await register(server, 'victim@example.com');
    await register(server, 'attacker@example.com');
    const victim = await cookieLogin(server, 'victim@example.com');
    const attacker = await cookieLogin(server, 'attacker@example.com');
    // The attacker plants its own csrf cookie in the victim's browser and sends the matching header.
    const tossed = new CookieJar();
    for (const [name, cookie] of victim.jar.cookies) tossed.cookies.set(name, cookie);
    tossed.cookies.set('__Host-lk_csrf', attacker.jar.cookies.get('__Host-lk_csrf')!);
    const headers = { 'x-csrf-token': attacker.body.csrfToken };
    const logout = await call(server.url, 'POST', '/auth/logout', { jar: tossed, headers });
    expect(logout.status).toBe(403);
    expect(logout.body.error).toBe('csrf_failed');
    const refresh = await call(server.url, 'POST', '/auth/refresh', { jar: tossed, headers });
    expect(refresh.status).toBe(403);
    expect(refresh.body.error).toBe('csrf_failed');
    expect((await session(victim.jar)).status).toBe(200);
  });

  it('cannot be driven by a cross-site form: sign-in and the MFA step accept only application/json, and set no cookie otherwise', async () => {
    await register(server, 'form@example.com');
    for (const path of ['/auth/login', '/auth/login/mfa', '/auth/password/forgot', '/auth/password/reset']) {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const res = await call(server.url, 'POST', path, {
          body: `email=form%40example.com&password=${encodeURIComponent(PASSWORD)}`,
          headers: { 'content-type': type },
        });
        expect(res.status, `${path} ${type}`).toBe(415);
        expect(res.body.error).toBe('invalid_request');
        expect(res.cookies).toEqual([]);
      }
    }
  });

  it('scopes the cookies so a sibling host cannot plant or read them: __Host-/__Secure- prefixes, Secure, no Domain', async () => {
    await register(server, 'cookies@example.com');
    const res = await call(server.url, 'POST', '/auth/login', { body: { email: 'cookies@example.com', password: PASSWORD } });
    const byName = Object.fromEntries(res.cookies.map((c) => [c.name, c.attributes]));
    expect(Object.keys(byName).sort()).toEqual(['__Host-lk_at', '__Host-lk_csrf', '__Secure-lk_rt']);
    for (const attributes of Object.values(byName)) {
      expect(attributes.secure).toBe(true);
      expect(attributes.domain).toBeUndefined();
    }
    expect(byName['__Host-lk_at']).toMatchObject({ path: '/', httponly: true, samesite: 'Lax' });
    expect(byName['__Secure-lk_rt']).toMatchObject({ path: '/auth', httponly: true, samesite: 'Strict' });
    expect(byName['__Host-lk_csrf']).toMatchObject({ path: '/', samesite: 'Strict' });
    expect(byName['__Host-lk_csrf']!.httponly).toBeUndefined();
  });

  it('gives every sign-in a fresh session, whatever cookies the browser already carried (no fixation)', async () => {
    await register(server, 'fixation@example.com');
    const planted = await cookieLogin(server, 'fixation@example.com');
    const jar = new CookieJar();
    for (const [name, cookie] of planted.jar.cookies) jar.cookies.set(name, cookie);
    const res = await call(server.url, 'POST', '/auth/login', { jar, body: { email: 'fixation@example.com', password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.session.id).not.toBe(planted.body.session.id);
    expect(jar.get('__Host-lk_csrf')).not.toBe(planted.body.csrfToken);
    expect(jar.get('__Secure-lk_rt')).not.toBe(planted.jar.get('__Secure-lk_rt'));
  });
});

describe('refresh races', () => {
  it('lets logout win over refreshes racing it: no token minted in the race outlives the session', async () => {
    await register(server, 'race-logout@example.com');
    for (let round = 0; round < 5; round++) {
      const login = await bearerLogin(server, 'race-logout@example.com');
      const refreshes = Array.from({ length: 8 }, () =>
        call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: login.refresh_token } }),
      );
      const logout = call(server.url, 'POST', '/auth/logout', { bearer: login.access_token });
      const [loggedOut, ...results] = await Promise.all([logout, ...refreshes]);
      expect(loggedOut.status).toBe(204);
      for (const r of results) {
        expect([200, 401]).toContain(r.status);
        if (r.status !== 200) continue;
        expect((await call(server.url, 'GET', '/auth/session', { bearer: r.body.access_token })).body).toMatchObject({ reason: 'logout' });
        expect((await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: r.body.refresh_token } })).body).toMatchObject({
          error: 'invalid_grant',
          reason: 'logout',
        });
      }
    }
  });

  it('revokes the whole session when a thief and the owner race with the same stolen token after rotation', async () => {
    await register(server, 'race-theft@example.com');
    const login = await bearerLogin(server, 'race-theft@example.com');
    const owner = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: login.refresh_token } });
    const ownerNext = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: owner.body.refresh_token } });
    expect(ownerNext.status).toBe(200);
    // The thief replays the first token while the owner keeps refreshing.
    const [thief, ownerAgain] = await Promise.all([
      call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: login.refresh_token } }),
      call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: ownerNext.body.refresh_token } }),
    ]);
    expect(thief.status).toBe(401);
    expect(thief.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    if (ownerAgain.status === 200) {
      expect((await call(server.url, 'GET', '/auth/session', { bearer: ownerAgain.body.access_token })).body.reason).toBe('reuse_detected');
    }
    expect((await call(server.url, 'GET', '/auth/session', { bearer: ownerNext.body.access_token })).body.reason).toBe('reuse_detected');
  });
});

describe('malformed and oversized bodies on the security endpoints', () => {
  it('answer 400 invalid_request (or 413/415), never a 5xx', async () => {
    await register(server, 'bodies@example.com');
    const { access_token } = await bearerLogin(server, 'bodies@example.com');
    const paths = [
      '/auth/login/mfa',
      '/auth/mfa/totp/enable',
      '/auth/mfa/totp/disable',
      '/auth/password',
      '/auth/password/forgot',
      '/auth/password/reset',
    ];
    const bodies: Array<[string, number[]]> = [
      ['{', [400]],
      ['{"code": "1234', [400]],
      ['[]', [400]],
      ['null', [400]],
      ['"text"', [400]],
      ['12345678', [400]],
      ['{"__proto__": {"admin": true}}', [400]],
      ['{"constructor": {"prototype": {"admin": true}}}', [400]],
      ['{"code": 123456, "mfa_token": ["a"], "email": ["a@b.c"], "token": {}, "newPassword": 12345678, "currentPassword": true}', [400]],
      ['['.repeat(5000) + ']'.repeat(5000), [400]],
      [`{"email": "${'a'.repeat(70 * 1024)}@example.com"}`, [413, 400]],
      ['\u0000\u0001', [400]],
    ];
    for (const path of paths) {
      for (const [text, statuses] of bodies) {
        const res = await call(server.url, 'POST', path, { body: text, bearer: access_token });
        expect(statuses, `${path} ${text.slice(0, 40)} -> ${res.status}`).toContain(res.status);
        expect(res.body.error).toBe('invalid_request');
      }
    }
    const admin = await createAdmin(server, 'body-admin@example.com');
    const weird = await call(server.url, 'GET', '/admin/users?limit=50&limit=60', { bearer: admin.login.access_token });
    expect(weird.status).toBe(400);
  });
});

describe('unicode and look-alike emails', () => {
  it('treats case, width, composition and compatibility variants as the same account', async () => {
    await register(server, 'José.Kelvin@example.com');
    for (const variant of [
      'josé.kelvin@example.com',
      'JOSÉ.KELVIN@EXAMPLE.COM',
      '  jose\u0301.kelvin@example.com  ',
      'José.\u212Aelvin@example.com',
      'ｊosé.kelvin@example.com',
      'José.kelvin@ｅxample.com',
    ]) {
      const res = await call(server.url, 'POST', '/auth/register', { body: { email: variant, password: PASSWORD, name: 'Copy' } });
      expect(res.status, variant).toBe(409);
      expect(res.body.error).toBe('email_taken');
      expect(
        (await call(server.url, 'POST', '/auth/login', { body: { email: variant, password: PASSWORD, transport: 'bearer' } })).status,
      ).toBe(200);
    }
  });

  it('refuses invisible and bidi-control characters in a new address with 400 invalid_request', async () => {
    for (const email of [
      'ali\u200Bce@example.com',
      'alice@exa\u200Dmple.com',
      '\u202Emoc.elpmaxe@ecila',
      'alice\uFEFF@example.com',
      'ali\uE000ce@example.com',
    ]) {
      const res = await call(server.url, 'POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Sneaky' } });
      expect(res.status, JSON.stringify(email)).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });

  it('keeps a different-script look-alike a different account that can never sign in as the original', async () => {
    await register(server, 'paypal@example.com');
    const homoglyph = 'p\u0430ypal@example.com'; // Cyrillic а
    expect(
      (
        await call(server.url, 'POST', '/auth/register', {
          body: { email: homoglyph, password: 'the impostor passphrase', name: 'Impostor' },
        })
      ).status,
    ).toBe(201);
    const asOriginal = await call(server.url, 'POST', '/auth/login', {
      body: { email: homoglyph, password: PASSWORD, transport: 'bearer' },
    });
    expect(asOriginal.status).toBe(401);
    const impostor = await bearerLogin(server, homoglyph, 'the impostor passphrase');
    const original = await bearerLogin(server, 'paypal@example.com');
    expect(impostor.user.id).not.toBe(original.user.id);
  });
});

describe('SQL-shaped strings in every field', () => {
  const payloads = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "admin'--",
    '1; SELECT * FROM sessions',
    "') UNION SELECT password_hash FROM users --",
  ];

  it('are plain data everywhere: refused exactly as any wrong value, stored verbatim where they are data, and nothing else changes', async () => {
    const victim = await register(server, 'sql-victim@example.com');
    const victimLogin = await bearerLogin(server, 'sql-victim@example.com');
    const usersBefore = (await server.latchkey.stores.users.search('', null, 200)).users.length;
    for (const p of payloads) {
      const login = await call(server.url, 'POST', '/auth/login', { body: { email: p, password: p, transport: 'bearer' } });
      expect(login.status).toBe(401);
      expect(login.body.error).toBe('invalid_credentials');
      const login2 = await call(server.url, 'POST', '/auth/login', { body: { email: 'sql-victim@example.com', password: p } });
      // Wrong passwords for one account: refused, then backed off (API.md), never let in.
      expect([401, 429]).toContain(login2.status);
      expect(login2.body.error).toBe(login2.status === 401 ? 'invalid_credentials' : 'rate_limited');
      const reg = await call(server.url, 'POST', '/auth/register', { body: { email: p, password: PASSWORD, name: p } });
      expect(reg.status).toBe(400);
      expect((await call(server.url, 'POST', '/auth/password/forgot', { body: { email: p } })).status).toBe(202);
      expect((await call(server.url, 'POST', '/auth/password/reset', { body: { token: p, newPassword: PASSWORD } })).body.error).toBe(
        'invalid_token',
      );
      expect((await call(server.url, 'POST', '/auth/login/mfa', { body: { mfa_token: p, code: p } })).body.error).toBe('invalid_mfa_code');
      expect((await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: p } })).body.error).toBe('invalid_grant');
      const del = await call(server.url, 'DELETE', `/auth/sessions/${encodeURIComponent(p)}`, { bearer: victimLogin.access_token });
      expect(del.status).toBe(404);
      expect(
        (await call(server.url, 'POST', '/auth/mfa/totp/enable', { bearer: victimLogin.access_token, body: { code: p } })).status,
      ).toBe(400);
    }
    // Stored verbatim where it is data: a name and a user agent.
    const named = await call(server.url, 'POST', '/auth/register', {
      body: { email: 'sql-name@example.com', password: PASSWORD, name: payloads[1] },
    });
    expect(named.status).toBe(201);
    expect(named.body.user.name).toBe(payloads[1]);
    const withAgent = await call(server.url, 'POST', '/auth/login', {
      body: { email: 'sql-name@example.com', password: PASSWORD, transport: 'bearer' },
      headers: { 'user-agent': payloads[5]!, 'x-request-id': "1' OR '1'='1" },
    });
    expect(withAgent.status).toBe(200);
    expect(withAgent.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const devices = await call(server.url, 'GET', '/auth/sessions', { bearer: withAgent.body.access_token });
    expect(devices.body.sessions[0].userAgent).toBe(payloads[5]);

    // Nothing else changed: the same users, the victim's session alive, every table there.
    expect((await server.latchkey.stores.users.search('', null, 200)).users.length).toBe(usersBefore + 1);
    expect((await call(server.url, 'GET', '/auth/session', { bearer: victimLogin.access_token })).body.user.id).toBe(victim.id);
    const db = new Database(server.latchkey.config.databaseUrl.slice('sqlite:'.length), { readonly: true });
    const tables = (db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    db.close();
    expect(tables).toEqual(
      expect.arrayContaining(['users', 'sessions', 'refresh_tokens', 'signing_keys', 'audit_events', 'mfa_totp', 'password_reset_tokens']),
    );
  });
});
