import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const DAY = 86_400_000;

beforeAll(async () => {
  server = await startTestServer();
  await call(server.url, 'POST', '/auth/register', { body: { email: 'purge@example.com', password: 'purge test passphrase', name: 'P' } });
});
afterAll(() => server.close());

const login = async (remember: boolean) =>
  (
    await call(server.url, 'POST', '/auth/login', {
      body: { email: 'purge@example.com', password: 'purge test passphrase', transport: 'bearer', remember },
    })
  ).body as { refresh_token: string; session: { id: string } };

describe('periodic purge', () => {
  it('keeps ended sessions long enough to say why, then deletes them and their expired tokens', async () => {
    const standard = await login(false);
    const extended = await login(true);
    await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: extended.refresh_token } });

    // A day later the standard session has lapsed; a refresh records why.
    server.clock.advance(DAY + 1000);
    const lapsed = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: standard.refresh_token } });
    expect(lapsed.body).toMatchObject({ error: 'invalid_grant', reason: 'expired' });
    expect(await server.latchkey.stores.sessions.findById(standard.session.id)).toMatchObject({ endReason: 'expired' });

    // Purging now removes the lapsed session's expired token but keeps the session row (its reason).
    await server.latchkey.purge();
    expect(await server.latchkey.stores.sessions.findById(standard.session.id)).not.toBeNull();
    expect(await server.latchkey.stores.sessions.findById(extended.session.id)).not.toBeNull();

    // Thirty days after they ended, both are gone: the standard one expired on day 1, the
    // extended one lapsed idle on day 7; forty days on, both ended more than 30 days ago.
    server.clock.advance(40 * DAY);
    expect(await server.latchkey.purge()).toBeGreaterThanOrEqual(2);
    expect(await server.latchkey.stores.sessions.findById(standard.session.id)).toBeNull();
    expect(await server.latchkey.stores.sessions.findById(extended.session.id)).toBeNull();
    const refresh = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: extended.refresh_token } });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error).toBe('invalid_grant');
  });
});
