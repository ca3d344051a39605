import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/ports.js';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { CHROME_ON_LINUX, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

let server: TestServer;
let email: string;
let userId: string;
beforeAll(async () => {
  server = await startTestServer();
  email = uniqueEmail('audit');
  userId = (await registerAccount(server.url, email)).id;
});
afterAll(() => server.close());

let requestNumber = 0;
/** Every request of this file carries its own request id and the Chrome UA, so events can be matched to it. */
function send(method: string, path: string, options: { body?: unknown; bearer?: string } = {}) {
  requestNumber += 1;
  const requestId = `audit-req-${requestNumber}`;
  return call(server.url, method, path, { ...options, headers: { 'x-request-id': requestId, 'user-agent': CHROME_ON_LINUX } }).then(
    (res) => {
      expect(res.headers.get('x-request-id')).toBe(requestId);
      return { ...res, requestId };
    },
  );
}
const login = () => send('POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } });

async function eventOf(type: string, requestId: string): Promise<AuditRecord> {
  const { events } = await server.latchkey.stores.audit.query({ type, limit: 200 });
  const matching = events.filter((e) => e.requestId === requestId);
  expect(matching, `${type} for ${requestId}`).toHaveLength(1);
  return matching[0]!;
}

function expectContext(event: AuditRecord, requestId: string, sessionId: string | null) {
  expect(event).toMatchObject({
    userId,
    sessionId,
    ip: '127.0.0.1',
    userAgent: CHROME_ON_LINUX,
    requestId,
  });
  expect(Math.abs(event.at - server.clock.now())).toBeLessThan(60_000);
}

describe('audit events', () => {
  it('writes login_succeeded and login_failed (for a known and an unknown email)', async () => {
    const ok = await login();
    expectContext(await eventOf('login_succeeded', ok.requestId), ok.requestId, ok.body.session.id);

    const wrong = await send('POST', '/auth/login', { body: { email, password: 'wrong password here' } });
    expect(wrong.status).toBe(401);
    expectContext(await eventOf('login_failed', wrong.requestId), wrong.requestId, null);

    const unknown = await send('POST', '/auth/login', { body: { email: uniqueEmail('ghost'), password: PASSWORD } });
    const event = await eventOf('login_failed', unknown.requestId);
    expect(event).toMatchObject({ userId: null, sessionId: null, ip: '127.0.0.1', userAgent: CHROME_ON_LINUX });
  });

  it('writes refresh_succeeded and, on reuse, refresh_token_reuse', async () => {
    const grant = (await login()).body;
    const first = await send('POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
    expectContext(await eventOf('refresh_succeeded', first.requestId), first.requestId, grant.session.id);
    await send('POST', '/auth/refresh', { body: { refresh_token: first.body.refresh_token } });

    const reuse = await send('POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
    expect(reuse.body.reason).toBe('reuse_detected');
    const event = await eventOf('refresh_token_reuse', reuse.requestId);
    expectContext(event, reuse.requestId, grant.session.id);
    expect(event.severity).toBe('critical');
    expect(event.data.reason).toBe('reuse_detected');
  });

  it('writes logout, logout_all and session_revoked with the reason', async () => {
    const a = (await login()).body;
    const logout = await send('POST', '/auth/logout', { bearer: a.access_token });
    expect(logout.status).toBe(204);
    const logoutEvent = await eventOf('logout', logout.requestId);
    expectContext(logoutEvent, logout.requestId, a.session.id);
    expect(logoutEvent.data.reason).toBe('logout');

    const b = (await login()).body;
    const c = (await login()).body;
    const revoke = await send('DELETE', `/auth/sessions/${c.session.id}`, { bearer: b.access_token });
    expect(revoke.status).toBe(204);
    const revokeEvent = await eventOf('session_revoked', revoke.requestId);
    expectContext(revokeEvent, revoke.requestId, c.session.id);
    expect(revokeEvent.data.reason).toBe('revoked');

    const d = (await login()).body;
    const live = await call(server.url, 'GET', '/auth/sessions', { bearer: b.access_token });
    const liveIds = (live.body.sessions as Array<{ id: string }>).map((s) => s.id).sort();
    expect(liveIds).toEqual(expect.arrayContaining([b.session.id, d.session.id]));
    expect(liveIds).not.toContain(c.session.id);
    const all = await send('POST', '/auth/logout-all', { bearer: b.access_token });
    expect(all.status).toBe(204);
    const allEvent = await eventOf('logout_all', all.requestId);
    expectContext(allEvent, all.requestId, b.session.id);
    expect(allEvent.data.reason).toBe('logout_all');
    expect((allEvent.data.sessions as string[]).sort()).toEqual(liveIds);
  });
});
