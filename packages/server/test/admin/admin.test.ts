import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, cookieLogin, createAdmin, PASSWORD, register } from '../security/helpers.js';

let server: TestServer;
let admin: string;
let adminId: string;
let person: string;

beforeAll(async () => {
  server = await startTestServer();
  const created = await createAdmin(server);
  admin = created.login.access_token;
  adminId = created.user.id;
  await register(server, 'plain@example.com');
  person = (await bearerLogin(server, 'plain@example.com')).access_token;
});
afterAll(() => server.close());

const as = (token: string | undefined, method: string, path: string) => call(server.url, method, path, token ? { bearer: token } : {});

describe('who may use the admin API', () => {
  const endpoints: Array<[string, string]> = [
    ['GET', '/admin/users'],
    ['POST', '/admin/users/x/block'],
    ['POST', '/admin/users/x/unblock'],
    ['POST', '/admin/users/x/revoke-sessions'],
    ['GET', '/admin/audit'],
    ['POST', '/admin/keys/rotate'],
  ];

  it('answers 401 unauthorized without credentials', async () => {
    for (const [method, path] of endpoints) {
      const res = await as(undefined, method, path);
      expect(res.status, path).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('answers 403 forbidden to a signed-in person without the admin role, and changes nothing', async () => {
    const keysBefore = server.latchkey.deps.keyRing.list().length;
    for (const [method, path] of endpoints) {
      const res = await as(person, method, path);
      expect(res.status, path).toBe(403);
      expect(res.body).toEqual({ error: 'forbidden', error_description: expect.any(String) });
    }
    expect(server.latchkey.deps.keyRing.list().length).toBe(keysBefore);
  });

  it('settles who is calling before it reads the request: malformed queries and ids get 401 / 403, not 400', async () => {
    const malformed: Array<[string, string]> = [
      ['GET', '/admin/audit?cursor=zzz'],
      ['GET', '/admin/users?limit=0'],
      ['GET', `/admin/users?query=${'q'.repeat(300)}`],
      ['POST', `/admin/users/${'x'.repeat(129)}/block`],
    ];
    for (const [method, path] of malformed) {
      const anonymous = await as(undefined, method, path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.body.error).toBe('unauthorized');
      const plain = await as(person, method, path);
      expect(plain.status, path).toBe(403);
      expect(plain.body.error).toBe('forbidden');
      expect((await as(admin, method, path)).status, path).toBe(400);
    }
  });

  it('answers 401 to a forged or expired token even when it claims the admin role', async () => {
    const [h, p] = admin.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone' })).toString('base64url')}.${admin.split('.')[2]}`;
    expect((await as(forged, 'GET', '/admin/users')).status).toBe(401);
  });

  it('requires the CSRF header for cookie-authenticated admin changes', async () => {
    const { jar } = await cookieLogin(server, 'admin@example.com');
    const target = await register(server, 'csrf-target@example.com');
    const without = await call(server.url, 'POST', `/admin/users/${target.id}/block`, { jar });
    expect(without.status).toBe(403);
    expect(without.body.error).toBe('csrf_failed');
    const withHeader = await call(server.url, 'POST', `/admin/users/${target.id}/block`, { jar, csrf: true });
    expect(withHeader.status).toBe(200);
    expect((await call(server.url, 'GET', '/admin/users?query=csrf-target', { jar })).status).toBe(200);
  });
});

describe('GET /admin/users', () => {
  it('finds users by email or name, case-insensitively, with cursor pagination', async () => {
    for (const n of [1, 2, 3, 4, 5]) await register(server, `page${n}@search.test`, PASSWORD, `Searchable Person ${n}`);
    const all = await as(admin, 'GET', '/admin/users?query=SEARCH.TEST');
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    expect(all.body.users.map((u: { email: string }) => u.email).sort()).toEqual([1, 2, 3, 4, 5].map((n) => `page${n}@search.test`));
    expect(all.body.next).toBeNull();
    expect(all.body.users[0]).toEqual({
      id: expect.any(String),
      email: expect.stringMatching(/@search\.test$/),
      name: expect.stringMatching(/^Searchable Person/),
      roles: [],
      tenant_id: null,
      status: 'active',
      createdAt: expect.stringMatching(/Z$/),
    });

    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await as(admin, 'GET', `/admin/users?query=searchable&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.users.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.users.map((u: { id: string }) => u.id));
      cursor = res.body.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect(seen.sort()).toEqual(all.body.users.map((u: { id: string }) => u.id).sort());
  });

  it('treats %, _ and SQL-shaped text as plain text', async () => {
    for (const query of ['%', '_', "' OR '1'='1", '"; DROP TABLE users; --', '\\']) {
      const res = await as(admin, 'GET', `/admin/users?query=${encodeURIComponent(query)}`);
      expect(res.status, query).toBe(200);
      expect(res.body.users, query).toEqual([]);
    }
    expect((await as(admin, 'GET', '/admin/users?query=plain@example.com')).body.users).toHaveLength(1);
  });

  it('refuses a limit that is not 1 to 200 with 400 invalid_request', async () => {
    for (const limit of ['0', '201', '-1', 'ten', '1e2']) {
      const res = await as(admin, 'GET', `/admin/users?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });
});

describe('blocking', () => {
  it('revokes every session at once, refuses sign-in with 403 account_blocked, and unblocking lets the person back in', async () => {
    const user = await register(server, 'blockme@example.com');
    const bearer = await bearerLogin(server, 'blockme@example.com');
    const browser = await cookieLogin(server, 'blockme@example.com');
    expect((await as(bearer.access_token, 'GET', '/auth/session')).status).toBe(200);

    const res = await as(admin, 'POST', `/admin/users/${user.id}/block`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: expect.objectContaining({ id: user.id, status: 'blocked' }), revokedSessions: 2 });

    const access = await as(bearer.access_token, 'GET', '/auth/session');
    expect(access.status).toBe(401);
    expect(access.body).toMatchObject({ error: 'unauthorized', reason: 'blocked' });
    const cookie = await call(server.url, 'GET', '/auth/session', { jar: browser.jar });
    expect(cookie.body).toMatchObject({ error: 'unauthorized', reason: 'blocked' });
    const refresh = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: bearer.refresh_token } });
    expect(refresh.status).toBe(401);
    expect(refresh.body).toMatchObject({ error: 'invalid_grant', reason: 'blocked' });
    const login = await call(server.url, 'POST', '/auth/login', { body: { email: 'blockme@example.com', password: PASSWORD } });
    expect(login.status).toBe(403);
    expect(login.body.error).toBe('account_blocked');

    const audit = await server.latchkey.stores.audit.query({ userId: user.id, limit: 50 });
    const blocked = audit.events.find((e) => e.type === 'user_blocked');
    expect(blocked).toMatchObject({ severity: 'warning', data: { by: adminId, sessions: 2 } });
    const revoked = audit.events.find((e) => e.type === 'session_revoked' && e.data.reason === 'blocked');
    expect((revoked?.data.sessions as string[]).sort()).toEqual([bearer.session.id, browser.body.session.id].sort());

    const unblock = await as(admin, 'POST', `/admin/users/${user.id}/unblock`);
    expect(unblock.status).toBe(200);
    expect(unblock.body.user.status).toBe('active');
    expect((await bearerLogin(server, 'blockme@example.com')).access_token).toBeTruthy();
    // The sessions ended by the block stay ended.
    expect((await as(bearer.access_token, 'GET', '/auth/session')).body.reason).toBe('blocked');
    expect((await server.latchkey.stores.audit.query({ userId: user.id, type: 'user_unblocked', limit: 5 })).events).toHaveLength(1);
  });

  it('answers 404 not_found for an unknown user and 400 when an admin tries to block themself', async () => {
    for (const path of [
      '/admin/users/no-such-user/block',
      '/admin/users/no-such-user/unblock',
      '/admin/users/no-such-user/revoke-sessions',
    ]) {
      const res = await as(admin, 'POST', path);
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    const self = await as(admin, 'POST', `/admin/users/${adminId}/block`);
    expect(self.status).toBe(400);
    expect(self.body.error).toBe('invalid_request');
  });
});

describe('POST /admin/users/:id/revoke-sessions', () => {
  it('ends every session of the user with reason admin, without blocking', async () => {
    const user = await register(server, 'revoke@example.com');
    const a = await bearerLogin(server, 'revoke@example.com');
    const b = await bearerLogin(server, 'revoke@example.com');
    const res = await as(admin, 'POST', `/admin/users/${user.id}/revoke-sessions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revokedSessions: 2 });
    for (const s of [a, b]) expect((await as(s.access_token, 'GET', '/auth/session')).body).toMatchObject({ reason: 'admin' });
    expect((await bearerLogin(server, 'revoke@example.com')).access_token).toBeTruthy();
    const again = await as(admin, 'POST', `/admin/users/${user.id}/revoke-sessions`);
    expect(again.body).toEqual({ revokedSessions: 1 });
  });
});

describe('GET /admin/audit', () => {
  it('filters by user and type and pages newest first without gaps or repeats', async () => {
    const user = await register(server, 'audited@example.com');
    for (let i = 0; i < 7; i++) {
      server.clock.advance(1000);
      await bearerLogin(server, 'audited@example.com');
    }
    const first = await as(admin, 'GET', `/admin/audit?user_id=${user.id}&type=login_succeeded&limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.events).toHaveLength(3);
    expect(first.body.events[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-z]{10}[0-9a-f]{12}$/),
      type: 'login_succeeded',
      severity: 'info',
      userId: user.id,
      sessionId: expect.any(String),
      ip: '127.0.0.1',
      userAgent: expect.any(String),
      requestId: expect.any(String),
      at: expect.stringMatching(/Z$/),
      data: expect.objectContaining({ type: 'standard' }),
    });
    const ids = [...first.body.events.map((e: { id: string }) => e.id)];
    let next = first.body.next;
    while (next) {
      const page = await as(admin, 'GET', `/admin/audit?user_id=${user.id}&type=login_succeeded&limit=3&cursor=${next}`);
      ids.push(...page.body.events.map((e: { id: string }) => e.id));
      next = page.body.next;
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect([...ids].sort().reverse()).toEqual(ids);
    const times = (await as(admin, 'GET', `/admin/audit?user_id=${user.id}&type=login_succeeded&limit=7`)).body.events.map(
      (e: { at: string }) => Date.parse(e.at),
    );
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    const registered = await as(admin, 'GET', `/admin/audit?user_id=${user.id}&type=user_registered`);
    expect(registered.body.events).toHaveLength(1);
    expect((await as(admin, 'GET', `/admin/audit?type=no_such_type`)).body).toEqual({ events: [], next: null });
  });

  it('refuses a malformed cursor with 400 invalid_request, and treats SQL-shaped filters as plain values', async () => {
    for (const cursor of ["' OR 1=1 --", 'zzz', '0000000000zzzzzzzzzzzz']) {
      const res = await as(admin, 'GET', `/admin/audit?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
    const sql = await as(
      admin,
      'GET',
      `/admin/audit?user_id=${encodeURIComponent("' OR '1'='1")}&type=${encodeURIComponent('x" OR ""="')}`,
    );
    expect(sql.status).toBe(200);
    expect(sql.body.events).toEqual([]);
  });
});

describe('POST /admin/keys/rotate', () => {
  it('starts signing with a new key, keeps the old one verifying, and audits key_rotated', async () => {
    const before = await call(server.url, 'GET', '/.well-known/jwks.json');
    const oldKid = JSON.parse(Buffer.from(person.split('.')[0]!, 'base64url').toString()).kid;
    const res = await as(admin, 'POST', '/admin/keys/rotate');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kid: expect.any(String), alg: 'RS256' });
    expect(res.body.kid).not.toBe(oldKid);

    const after = await call(server.url, 'GET', '/.well-known/jwks.json');
    const kids = after.body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toContain(res.body.kid);
    expect(kids).toContain(oldKid);
    expect(after.body.keys.length).toBe(before.body.keys.length + 1);
    expect((await as(person, 'GET', '/auth/session')).status).toBe(200);
    const fresh = await bearerLogin(server, 'plain@example.com');
    expect(JSON.parse(Buffer.from(fresh.access_token.split('.')[0]!, 'base64url').toString()).kid).toBe(res.body.kid);

    const audit = await server.latchkey.stores.audit.query({ type: 'key_rotated', limit: 5 });
    expect(audit.events[0]).toMatchObject({ userId: adminId, data: { kid: res.body.kid, alg: 'RS256', by: adminId } });
  });
});
