import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const password = 'rotation test passphrase';

beforeAll(async () => {
  server = await startTestServer();
  await call(server.url, 'POST', '/auth/register', { body: { email: 'rot@example.com', password, name: 'Rot' } });
});
afterAll(() => server.close());

async function bearerLogin(remember = false) {
  const res = await call(server.url, 'POST', '/auth/login', {
    body: { email: 'rot@example.com', password, transport: 'bearer', remember },
  });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; session: { id: string } };
}
const refresh = (token: string) => call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });

describe('refresh-token rotation', () => {
  it('gives every one of 20 concurrent presentations of a fresh token a distinct successor, and the first successor used kills the rest', async () => {
    const login = await bearerLogin();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(login.refresh_token)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const successors = results.map((r) => r.body.refresh_token as string);
    expect(new Set(successors).size).toBe(20);
    for (const s of successors) expect(s).toMatch(/^lkrt_[A-Za-z0-9_-]{43}$/);

    // Using one successor makes the parent and every sibling dead.
    const next = await refresh(successors[7]!);
    expect(next.status).toBe(200);
    const sibling = await refresh(successors[3]!);
    expect(sibling.status).toBe(401);
    expect(sibling.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    // Reuse revoked the whole session: the newest token and the access token die too.
    expect((await refresh(next.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    const session = await call(server.url, 'GET', '/auth/session', { bearer: next.body.access_token });
    expect(session.status).toBe(401);
    expect(session.body).toMatchObject({ error: 'unauthorized', reason: 'reuse_detected' });
  });

  it('lets 20 concurrent presentations of one successor race, with exactly the rule applied', async () => {
    const login = await bearerLogin();
    const first = await refresh(login.refresh_token);
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(first.body.refresh_token)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    // The original token is now dead: one of its successors has been used.
    const dead = await refresh(login.refresh_token);
    expect(dead.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
  });

  it('walks retry, sibling and reuse cases', async () => {
    const login = await bearerLogin();
    const t0 = login.refresh_token;
    const a = await refresh(t0); // t0 consumed, successor A
    const b = await refresh(t0); // retry after a lost response: sibling B
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
    expect(b.body.session.id).toBe(login.session.id);

    const a2 = await refresh(a.body.refresh_token); // A used: t0 and B are dead now
    expect(a2.status).toBe(200);
    const a3 = await refresh(a.body.refresh_token); // A itself may still be retried
    expect(a3.status).toBe(200);

    const reuse = await refresh(b.body.refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String), reason: 'reuse_detected' });

    const audit = await server.latchkey.stores.audit.query({ type: 'refresh_token_reuse', userId: reuse.body.user?.id, limit: 10 });
    expect(audit.events.some((e) => e.sessionId === login.session.id)).toBe(true);
  });

  it('refuses unknown, malformed and missing tokens with invalid_grant and no reason', async () => {
    for (const body of [{ refresh_token: 'lkrt_' + 'A'.repeat(43) }, { refresh_token: 'nope' }, {}]) {
      const res = await call(server.url, 'POST', '/auth/refresh', { body });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.reason).toBeUndefined();
    }
  });

  it('keeps expiresAt fixed and moves only idleExpiresAt (and never the type)', async () => {
    const login = await bearerLogin(true);
    const before = (login as any).session;
    server.clock.advance(60_000);
    const after = (await refresh(login.refresh_token)).body.session;
    expect(after.expiresAt).toBe(before.expiresAt);
    expect(Date.parse(after.idleExpiresAt)).toBe(Date.parse(before.idleExpiresAt) + 60_000);
    expect(after.type).toBe('extended');
  });
});
