/**
 * API.md "Conventions" on the embedded store: when another process (a `latchkey` CLI
 * command, a backup tool) holds SQLite's write lock, a request that must write answers
 * `503 temporarily_unavailable` within 2 s, writes nothing half-way, and works again
 * once the lock is gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, contractError, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

let dir: string;
let server: TestServer;
let other: SQLite.Database;
let email: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-locked-'));
  const file = join(dir, 'latchkey.db');
  server = await startTestServer({ LATCHKEY_DATABASE_URL: `sqlite:${file}` });
  email = uniqueEmail('locked');
  await registerAccount(server.url, email);
  other = new SQLite(file);
  other.pragma('busy_timeout = 0');
});
afterAll(async () => {
  other?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (table: string) => (other.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

/** Runs `request` while another connection holds the write lock; returns its answer and how long it took. */
async function whileLocked<T>(request: () => Promise<T>): Promise<{ result: T; ms: number }> {
  other.prepare('begin immediate').run();
  try {
    const started = performance.now();
    const result = await request();
    return { result, ms: performance.now() - started };
  } finally {
    other.prepare('rollback').run();
  }
}

describe('SQLite locked by another process', () => {
  it('a login answers 503 temporarily_unavailable within 2 s and stores no session; it succeeds once the lock is released', async () => {
    const sessionsBefore = count('sessions');
    const { result: res, ms } = await whileLocked(() =>
      call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } }),
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual(contractError('temporarily_unavailable'));
    expect(ms).toBeLessThan(2000);
    expect(count('sessions')).toBe(sessionsBefore);

    await bearerLogin(server.url, email);
    expect(count('sessions')).toBe(sessionsBefore + 1);
  });

  it('a refresh answers 503 and leaves its token unconsumed: the same token rotates once the lock is released', async () => {
    const grant = await bearerLogin(server.url, email);
    const tokensBefore = count('refresh_tokens');
    const { result: res, ms } = await whileLocked(() =>
      call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } }),
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual(contractError('temporarily_unavailable'));
    expect(ms).toBeLessThan(2000);
    expect(count('refresh_tokens')).toBe(tokensBefore);

    const retried = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
    expect(retried.status).toBe(200);
    expect(retried.body.session.id).toBe(grant.session.id);
  });

  it('concurrent writes all answer 503 within 2 s: only the first waits for the lock, the others are refused at once', async () => {
    const grants = await Promise.all([1, 2, 3].map(() => bearerLogin(server.url, email)));
    const started = performance.now();
    const { result } = await whileLocked(() =>
      Promise.all([
        ...grants.map(async (grant) => {
          const res = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
          return { res, ms: performance.now() - started };
        }),
        (async () => {
          const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } });
          return { res, ms: performance.now() - started };
        })(),
      ]),
    );
    for (const { res, ms } of result) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual(contractError('temporarily_unavailable'));
      expect(ms).toBeLessThan(2000);
    }
    // The lock is gone: writes go through at once, back-off or not.
    for (const grant of grants) {
      expect((await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } })).status).toBe(200);
    }
  });

  it('reads do not wait for the writer: the session check answers 200 while the lock is held', async () => {
    const grant = await bearerLogin(server.url, email);
    const { result: res } = await whileLocked(() => call(server.url, 'GET', '/auth/session', { bearer: grant.access_token }));
    expect(res.status).toBe(200);
    expect(res.body.session.id).toBe(grant.session.id);
  });
});
