import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CookieJar } from '../../server/test/support/client.js';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import {
  createVerifier,
  latchkeyExpress,
  latchkeyFastify,
  requireRole,
  requireScope,
  requireTenant,
  type Identity,
  type Verifier,
} from '../src/index.js';
import { ADMIN, adminLogin, claimsOf, forge, login, register, within, type Login } from './support/latchkey.js';

/** The same protected API in each framework, on loopback. */
interface App {
  url: string;
  close(): Promise<void>;
}

async function expressApp(verifier: Verifier): Promise<App> {
  const app = express();
  app.get('/public', (_req, res) => void res.json({ ok: true }));
  app.get('/maybe', latchkeyExpress(verifier, { optional: true }), (req, res) => void res.json({ sub: req.identity?.sub ?? null }));
  app.use('/api', latchkeyExpress(verifier));
  app.get('/api/me', (req, res) => void res.json(req.identity));
  app.post('/api/things', (req, res) => void res.status(201).json({ by: req.identity!.sub }));
  app.get('/api/admin', requireRole('admin'), (_req, res) => void res.json({ admin: true }));
  app.get('/api/reports', requireScope('reports:read'), (_req, res) => void res.json({ reports: [] }));
  app.get('/api/profile', requireScope('profile'), (_req, res) => void res.json({ profile: true }));
  app.get(
    '/api/tenants/:tenant',
    requireTenant((req) => req.params.tenant),
    (req, res) => void res.json({ tenant: req.params.tenant }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function fastifyApp(verifier: Verifier): Promise<App> {
  const app = Fastify();
  await app.register(latchkeyFastify, { verifier });
  app.get('/public', async () => ({ ok: true }));
  app.get('/maybe', { onRequest: app.authenticateOptional }, async (request) => ({ sub: request.identity?.sub ?? null }));
  await app.register(
    async (api) => {
      api.addHook('onRequest', api.authenticate);
      api.get('/me', async (request) => request.identity);
      api.post('/things', async (request, reply) => reply.code(201).send({ by: request.identity!.sub }));
      api.get('/admin', { preHandler: requireRole('admin') }, async () => ({ admin: true }));
      api.get('/reports', { preHandler: requireScope('reports:read') }, async () => ({ reports: [] }));
      api.get('/profile', { preHandler: requireScope('profile') }, async () => ({ profile: true }));
      api.get<{ Params: { tenant: string } }>(
        '/tenants/:tenant',
        { preHandler: requireTenant((req) => req.params.tenant) },
        async (request) => ({ tenant: request.params.tenant }),
      );
    },
    { prefix: '/api' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

let latchkey: TestServer;
let verifier: Verifier;
let ana: Login;
let admin: Login;
/** Cookies of a browser signed in with the cookie transport. */
let browser: { cookie: string; csrf: string };

beforeAll(async () => {
  latchkey = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
  await register(latchkey.url, 'ana@example.com');
  ana = await login(latchkey.url, 'ana@example.com');
  admin = await adminLogin(latchkey.url);
  verifier = createVerifier({
    issuer: latchkey.url,
    audience: latchkey.url,
    revocations: { follow: true, accessToken: admin.access_token },
  });
  await verifier.ready();
  const jar = new CookieJar();
  const res = await call(latchkey.url, 'POST', '/auth/login', {
    body: { email: 'ana@example.com', password: 'resource server passphrase' },
    jar,
  });
  expect(res.status).toBe(200);
  browser = {
    cookie: `__Host-lk_at=${jar.get('__Host-lk_at')}; theme=dark; __Host-lk_csrf=${jar.get('__Host-lk_csrf')}`,
    csrf: jar.get('__Host-lk_csrf')!,
  };
});
afterAll(async () => {
  await verifier.close();
  await latchkey.close();
});

describe.each([
  ['Express', expressApp],
  ['Fastify', fastifyApp],
])('%s', (_name, start) => {
  let app: App;
  beforeAll(async () => {
    app = await start(verifier);
  });
  afterAll(() => app.close());

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => call(app.url, method, path, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('attaches the verified identity for a Bearer token', async () => {
    const res = await get('/api/me', bearer(ana.access_token));
    expect(res.status).toBe(200);
    const identity = res.body as Identity;
    expect(identity).toMatchObject({ sub: ana.user.id, sid: ana.session.id, roles: [], tenant_id: null, name: 'ana' });
    expect(identity.claims).toEqual(claimsOf(ana.access_token));
    expect((await get('/api/me', { authorization: `bearer   ${ana.access_token}` })).status).toBe(200);
  });

  it('answers 401 with a bare Bearer challenge when there is no credential, never reading the query', async () => {
    for (const res of [await get('/api/me'), await get(`/api/me?access_token=${ana.access_token}`)]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      expect(res.body).toEqual({ error: 'unauthorized', error_description: 'Authentication is required.' });
    }
    expect((await get('/public')).status).toBe(200);
  });

  it('answers 401 error="invalid_token" for a bad token or a non-Bearer Authorization header (RFC 6750 §3.1)', async () => {
    for (const headers of [
      bearer('not-a-jwt'),
      bearer(`${ana.access_token}x`),
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
    ]) {
      const res = await get('/api/me', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey", error="invalid_token", error_description="[^"]+"$/);
      expect(res.body).toMatchObject({ error: 'unauthorized', error_description: expect.any(String) });
    }
  });

  it('lets an optional route through without a credential, and still verifies one that is sent', async () => {
    expect((await get('/maybe')).body).toEqual({ sub: null });
    expect((await get('/maybe', bearer(ana.access_token))).body).toEqual({ sub: ana.user.id });
    expect((await get('/maybe', bearer('junk'))).status).toBe(401);
  });

  it('authenticates by the __Host-lk_at cookie, and demands X-CSRF-Token equal to __Host-lk_csrf on unsafe methods', async () => {
    expect((await get('/api/me', { cookie: browser.cookie })).status).toBe(200);
    const missing = await get('/api/things', { cookie: browser.cookie }, 'POST');
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: 'csrf_failed', error_description: expect.any(String) });
    const wrong = await get('/api/things', { cookie: browser.cookie, 'x-csrf-token': 'not-the-csrf-token' }, 'POST');
    expect(wrong.status).toBe(403);
    const right = await get('/api/things', { cookie: browser.cookie, 'x-csrf-token': browser.csrf }, 'POST');
    expect(right.status).toBe(201);
    expect(right.body).toEqual({ by: ana.user.id });
    // Bearer requests carry no ambient credential: no CSRF header needed.
    expect((await get('/api/things', bearer(ana.access_token), 'POST')).status).toBe(201);
  });

  it('guards routes by role (403 forbidden), scope (403 insufficient_scope naming it) and tenant', async () => {
    expect((await get('/api/admin', bearer(admin.access_token))).status).toBe(200);
    const notAdmin = await get('/api/admin', bearer(ana.access_token));
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toEqual({ error: 'forbidden', error_description: expect.any(String) });

    expect((await get('/api/profile', bearer(ana.access_token))).status).toBe(200);
    const noScope = await get('/api/reports', bearer(ana.access_token));
    expect(noScope.status).toBe(403);
    expect(noScope.body).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
    expect(noScope.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="insufficient_scope", scope="reports:read"');
    const reporter = await forge(latchkey.latchkey, { ...claimsOf(ana.access_token), scope: 'openid reports:read', jti: 'reporter' });
    expect((await get('/api/reports', bearer(reporter))).status).toBe(200);

    const acme = await forge(latchkey.latchkey, { ...claimsOf(ana.access_token), tenant_id: 'acme', jti: 'acme-member' });
    expect((await get('/api/tenants/acme', bearer(acme))).body).toEqual({ tenant: 'acme' });
    expect((await get('/api/tenants/globex', bearer(acme))).status).toBe(403);
    expect((await get('/api/tenants/acme', bearer(ana.access_token))).status).toBe(403);
  });

  it('answers 401 with reason "revoked" within a second of the session being signed out', async () => {
    const other = await login(latchkey.url, 'ana@example.com');
    expect((await get('/api/me', bearer(other.access_token))).status).toBe(200);
    await call(latchkey.url, 'POST', '/auth/logout', { bearer: other.access_token });
    expect(await within(1000, async () => (await get('/api/me', bearer(other.access_token))).status === 401)).not.toBeNull();
    const res = await get('/api/me', bearer(other.access_token));
    expect(res.body).toEqual({ error: 'unauthorized', error_description: 'The access token has been revoked.', reason: 'revoked' });
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
