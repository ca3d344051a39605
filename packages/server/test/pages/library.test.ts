import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, inPage, launchChromium } from './support.js';

const password = 'library passphrase';
let server: TestServer;
let browser: Browser;

/** A page of this origin with @latchkey/browser loaded as `window.lk` and a client as `window.client`. */
async function libraryPage(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/login`);
  await inPage(
    page,
    `import('/assets/latchkey.js').then((lk) => {
      window.lk = lk;
      window.client = lk.createClient();
      window.events = [];
      client.addEventListener('signout', (e) => events.push(['signout', e.detail.reason]));
      client.addEventListener('session', (e) => events.push(['session', e.detail.session.id]));
    })`,
  );
  return page;
}

/** The requests the page sends to Latchkey, with the CSRF header each carried. */
function recordRequests(page: Page): Array<{ method: string; path: string; csrf: string | undefined }> {
  const seen: Array<{ method: string; path: string; csrf: string | undefined }> = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/auth/'))
      seen.push({ method: request.method(), path: url.pathname, csrf: request.headers()['x-csrf-token'] });
  });
  return seen;
}

describeInChromium('@latchkey/browser in Chromium', () => {
  beforeAll(async () => {
    buildPageAssets();
    // Two-second access tokens, so a test can let one lapse by moving the server's clock.
    server = await startTestServer({ LATCHKEY_ACCESS_TTL: '2s' });
    browser = await launchChromium();
    expect((await call(server.url, 'POST', '/auth/register', { body: { email: 'lib@example.com', password, name: 'Libby' } })).status).toBe(
      201,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('adds X-CSRF-Token to unsafe requests, not to safe ones', async () => {
    const page = await libraryPage();
    await inPage(page, `client.login({ email: 'lib@example.com', password: ${JSON.stringify(password)} })`);
    const csrf = await inPage<string>(page, 'lk.csrfFromCookie()');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const seen = recordRequests(page);
    const statuses = await inPage<number[]>(
      page,
      `Promise.all([
        client.fetch('/auth/sessions').then((r) => r.status),
        client.fetch('/auth/sessions/no-such-session', { method: 'DELETE' }).then((r) => r.status),
      ])`,
    );
    // The DELETE got past the CSRF check (403 otherwise) to the 404 of an unknown session.
    expect(statuses).toEqual([200, 404]);
    expect(seen).toEqual([
      { method: 'GET', path: '/auth/sessions', csrf: undefined },
      { method: 'DELETE', path: '/auth/sessions/no-such-session', csrf },
    ]);
    await page.context().close();
  });

  it('refreshes once on a 401 unauthorized and retries; returns other 401s as they are', async () => {
    const page = await libraryPage();
    await inPage(page, `client.login({ email: 'lib@example.com', password: ${JSON.stringify(password)} })`);
    server.clock.advance(10_000); // the access token has lapsed (past the verifier's 5 s leeway too)
    const seen = recordRequests(page);
    expect(await inPage(page, `client.fetch('/auth/sessions').then((r) => r.status)`)).toBe(200);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /auth/sessions', 'POST /auth/refresh', 'GET /auth/sessions']);

    // A 401 about what the request said (a wrong current password) is the answer itself:
    // no refresh, and not sent twice (which would count twice against the back-off).
    seen.length = 0;
    const status = await inPage(
      page,
      `client.fetch('/auth/password', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: 'wrong password!', newPassword: 'another long passphrase' }) }).then((r) => r.status)`,
    );
    expect(status).toBe(401);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /auth/password']);
    expect(await inPage(page, 'client.state !== null')).toBe(true);
    await page.context().close();
  });

  it('signs out at once, without trying to refresh, when the server says the session ended, and tells why', async () => {
    const page = await libraryPage();
    await inPage(page, `client.login({ email: 'lib@example.com', password: ${JSON.stringify(password)} })`);
    const sessionId = await inPage<string>(page, 'client.state.session.id');
    expect(await inPage(page, `Object.keys(localStorage)`)).toEqual(['latchkey.profile']);

    // Another device of the same person revokes this one.
    const other = new CookieJar();
    await call(server.url, 'POST', '/auth/login', { jar: other, body: { email: 'lib@example.com', password } });
    expect((await call(server.url, 'DELETE', `/auth/sessions/${sessionId}`, { jar: other, csrf: true })).status).toBe(204);

    const seen = recordRequests(page);
    expect(await inPage(page, `client.fetch('/auth/sessions').then((r) => r.status)`)).toBe(401);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /auth/sessions']);
    expect(await inPage(page, 'events')).toEqual([
      ['session', sessionId],
      ['signout', 'revoked'],
    ]);
    expect(await inPage(page, 'client.state')).toBeNull();
    expect(await inPage(page, 'localStorage.length')).toBe(0);
    await page.context().close();
  });

  it('tells the other tabs: one tab learning the session ended signs the others out with the same reason', async () => {
    const page = await libraryPage();
    await inPage(page, `client.login({ email: 'lib@example.com', password: ${JSON.stringify(password)} })`);
    const second = await page.context().newPage();
    await second.goto(`${server.url}/login`);
    await inPage(
      second,
      `import('/assets/latchkey.js').then(async (lk) => {
        window.client = lk.createClient();
        window.events = [];
        client.addEventListener('signout', (e) => events.push(e.detail.reason));
        await client.check();
      })`,
    );
    expect(await inPage(second, 'client.state.session.id')).toBe(await inPage(page, 'client.state.session.id'));
    await inPage(page, 'client.logoutEverywhere()');
    await second.waitForFunction('events.length === 1');
    expect(await inPage(second, 'events')).toEqual(['logout_all']);
    expect(await inPage(second, 'client.state')).toBeNull();
    await page.context().close();
  });
});
