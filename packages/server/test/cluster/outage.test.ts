/**
 * API.md "Conventions": when PostgreSQL or Redis cannot be reached, a request that needs
 * them answers `503 temporarily_unavailable` within 2 s, nothing is half-written, and
 * /readyz turns 503 within 5 s and back to 200 within 10 s of recovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type CallResult } from '../support/client.js';
import { postgresAvailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/server.js';

const available = postgresAvailable() && redisAvailable();
const PASSWORD = 'outage test passphrase 1';

/** Polls until `check` passes or `ms` runs out; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(run: () => Promise<CallResult>): Promise<{ res: CallResult; ms: number }> {
  const start = Date.now();
  const res = await run();
  return { res, ms: Date.now() - start };
}

function expectUnavailable({ res, ms }: { res: CallResult; ms: number }): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  expect(ms).toBeLessThan(2000);
}

describe.skipIf(!available)('outages of PostgreSQL and Redis', () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let server: TestServer;
  let n = 0;

  const ready = async () => (await call(server.url, 'GET', '/readyz')).status === 200;
  const notReady = async () => (await call(server.url, 'GET', '/readyz')).status === 503;
  const login = (email: string) => call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } });
  const refresh = (token: string) => call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });
  async function account() {
    const email = `outage-${++n}@example.com`;
    expect((await call(server.url, 'POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Out Age' } })).status).toBe(201);
    const res = await login(email);
    expect(res.status).toBe(200);
    return { email, access: res.body.access_token as string, refresh: res.body.refresh_token as string };
  }

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    server = await startTestServer({ LATCHKEY_DATABASE_URL: await pg.createDatabase(), LATCHKEY_REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([pg?.stop(), redis?.stop()]);
  });

  it('is ready while both answer, and says which dependency it checked', async () => {
    const res = await call(server.url, 'GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  });

  it('answers logins 503 while Redis is down, keeps enforcing revocations from the database, and recovers by itself', async () => {
    const a = await account();
    const b = await account();
    await redis.halt();

    expectUnavailable(await timed(() => login(a.email)));
    await within(5000, notReady);
    expect((await call(server.url, 'GET', '/readyz')).body.checks).toEqual({ database: 'ok', redis: 'unavailable' });

    // Authenticated requests do not need Redis: the database is the source of truth.
    expect((await call(server.url, 'GET', '/auth/session', { bearer: a.access })).status).toBe(200);
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: b.access })).status).toBe(204);
    const revoked = await call(server.url, 'GET', '/auth/session', { bearer: b.access });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: 'unauthorized', reason: 'logout' });

    await redis.start();
    await within(10_000, ready);
    expect((await login(a.email)).status).toBe(200);
  });

  it('answers 503 within 2 s when Redis hangs, then recovers', async () => {
    const a = await account();
    redis.freeze();
    try {
      expectUnavailable(await timed(() => login(a.email)));
      await within(5000, notReady);
    } finally {
      redis.thaw();
    }
    await within(10_000, ready);
    expect((await login(a.email)).status).toBe(200);
  });

  it('answers 503 while PostgreSQL is down without consuming the token, and recovers by itself', async () => {
    const a = await account();
    await pg.halt();
    try {
      expectUnavailable(await timed(() => refresh(a.refresh)));
      expectUnavailable(await timed(() => login(a.email)));
      expectUnavailable(
        await timed(() =>
          call(server.url, 'POST', '/auth/register', { body: { email: 'new@example.com', password: PASSWORD, name: 'N' } }),
        ),
      );
      await within(5000, notReady);
      expect((await call(server.url, 'GET', '/readyz')).body.checks).toEqual({ database: 'unavailable', redis: 'ok' });
    } finally {
      await pg.start();
    }
    await within(10_000, ready);
    // Nothing was half-written: the token presented during the outage is still the
    // session's fresh token, so it rotates normally (no reuse detected).
    const after = await refresh(a.refresh);
    expect(after.status).toBe(200);
    expect((await refresh(after.body.refresh_token)).status).toBe(200);
  });

  it('answers 503 within 2 s when PostgreSQL hangs, then recovers', async () => {
    const a = await account();
    pg.freeze();
    try {
      expectUnavailable(await timed(() => refresh(a.refresh)));
      expectUnavailable(await timed(() => refresh(a.refresh)));
      await within(5000, notReady);
    } finally {
      pg.thaw();
    }
    await within(10_000, ready);
    const after = await refresh(a.refresh);
    expect(after.status).toBe(200);
  });
});
