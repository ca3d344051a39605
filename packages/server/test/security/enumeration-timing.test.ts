import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { PASSWORD, register } from './helpers.js';

/**
 * API.md: unknown and known emails get the same answer in the same time. Samples of the
 * two kinds are interleaved (in random order within each pair) so drift in the machine's
 * load hits both alike; the medians must lie within 20% of each other. This bounds a
 * ratio, not a speed.
 */
let server: TestServer;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const within20Percent = (a: number, b: number) => Math.abs(a - b) / Math.max(a, b);

async function timed(request: () => Promise<{ status: number }>, expected: number): Promise<number> {
  const start = performance.now();
  const res = await request();
  const elapsed = performance.now() - start;
  expect(res.status).toBe(expected);
  return elapsed;
}

async function sample(pairs: number, known: (i: number) => Promise<number>, unknown: (i: number) => Promise<number>, pause = 0) {
  const k: number[] = [];
  const u: number[] = [];
  for (let i = 0; i < pairs; i++) {
    if (Math.random() < 0.5) {
      k.push(await known(i));
      if (pause) await new Promise((r) => setTimeout(r, pause));
      u.push(await unknown(i));
    } else {
      u.push(await unknown(i));
      if (pause) await new Promise((r) => setTimeout(r, pause));
      k.push(await known(i));
    }
    if (pause) await new Promise((r) => setTimeout(r, pause));
  }
  return { known: median(k), unknown: median(u) };
}

beforeAll(async () => {
  // Back-off would turn later samples into fast 429s; it is tested elsewhere.
  server = await startTestServer({ LATCHKEY_LOGIN_MAX_FAILURES: '1000', LATCHKEY_TRUST_PROXY: '127.0.0.1' });
  await register(server, 'known@example.com');
});
afterAll(() => server.close());

describe('account enumeration by timing', () => {
  it('POST /auth/login: a wrong password for a known email and any password for an unknown one take the same time', async () => {
    const login = (email: string) => () => call(server.url, 'POST', '/auth/login', { body: { email, password: 'not the right password' } });
    // Warm up both paths (the dummy hash is computed once, lazily).
    await login('warmup@example.com')();
    await login('known@example.com')();
    const result = await sample(
      40,
      () => timed(login('known@example.com'), 401),
      () => timed(login(`nobody-${randomUUID()}@example.com`), 401),
    );
    console.info(`login medians: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms`);
    expect(within20Percent(result.known, result.unknown)).toBeLessThan(0.2);
  });

  it('POST /auth/password/forgot: known and unknown addresses take the same time (all work happens after the 202)', async () => {
    const hash = await server.latchkey.deps.hasher.hash(PASSWORD);
    const now = server.clock.now();
    for (let i = 0; i < 60; i++) {
      await server.latchkey.stores.users.create({
        id: randomUUID(),
        email: `member${i}@example.com`,
        emailNormalized: `member${i}@example.com`,
        name: `Member ${i}`,
        passwordHash: hash,
        roles: [],
        tenantId: null,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      });
    }
    let ip = 0;
    const forgot = (email: string) => () =>
      call(server.url, 'POST', '/auth/password/forgot', {
        body: { email },
        headers: { 'x-forwarded-for': `198.18.${Math.floor(++ip / 250)}.${ip % 250}` },
      });
    const result = await sample(
      60,
      (i) => timed(forgot(`member${i}@example.com`), 202),
      () => timed(forgot(`stranger-${randomUUID()}@example.com`), 202),
      // Past the deferred work of the request before, so each sample sees a quiet server.
      80,
    );
    console.info(`forgot medians: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms`);
    expect(within20Percent(result.known, result.unknown)).toBeLessThan(0.2);
    // The known ones did get their tokens (the work happened, after the answer).
    await new Promise((r) => setTimeout(r, 300));
    const audit = await server.latchkey.stores.audit.query({ type: 'password_reset_requested', limit: 100 });
    expect(audit.events).toHaveLength(60);
  });
});
