import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, launchChromium, screenshot } from './support.js';

const password = 'oauth page passphrase';
const adminPassword = 'oauth admin passphrase';
let redirectUri: string;
/** The client app: it only receives the browser at its redirect URI. */
let app: Server;
let server: TestServer;
let browser: Browser;

function authorizeUrl(extra: Record<string, string> = {}): { url: string; state: string } {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: 'web-app',
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url: `${server.url}/oauth2/authorize?${params}`, state };
}

/** Follows the browser to the client's redirect URI and returns that URL. */
async function landOnCallback(page: Page, action: () => Promise<unknown>): Promise<URL> {
  await action();
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  return new URL(page.url());
}

describeInChromium('signing in for an OAuth client through /login', () => {
  beforeAll(async () => {
    buildPageAssets();
    app = createServer((_req, res) => res.end('the client app'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `admin@example.com:${adminPassword}` });
    browser = await launchChromium();
    expect(
      (await call(server.url, 'POST', '/auth/register', { body: { email: 'olive@example.com', password, name: 'Olive Oauth' } })).status,
    ).toBe(201);
    const admin = await call(server.url, 'POST', '/auth/login', {
      body: { email: 'admin@example.com', password: adminPassword, transport: 'bearer' },
    });
    const client = await call(server.url, 'POST', '/admin/clients', {
      bearer: admin.body.access_token,
      body: {
        id: 'web-app',
        name: 'Web app',
        public: true,
        first_party: true,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        scope: 'openid profile',
      },
    });
    expect(client.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  it('sends an unauthenticated person from /oauth2/authorize to /login and back, and the client gets its code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { url, state } = authorizeUrl();
    await page.goto(url);
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('return_to')).toBe(url.slice(server.url.length));
    await page.getByLabel('Email').fill('olive@example.com');
    await page.getByLabel('Password').fill(password);
    await screenshot(page, 'oauth-login');
    const callback = await landOnCallback(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('code')).toMatch(/.{20,}/);
    await context.close();
  });

  it('asks for the password again under prompt=login even when signed in, then goes back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = authorizeUrl();
    await page.goto(first.url);
    await page.getByLabel('Email').fill('olive@example.com');
    await page.getByLabel('Password').fill(password);
    await landOnCallback(page, () => page.getByRole('button', { name: 'Sign in' }).click());

    const { url, state } = authorizeUrl({ prompt: 'login' });
    await page.goto(url);
    await page.waitForURL((u) => u.pathname === '/login');
    // The form, not "you are signed in": a fresh sign-in was asked for.
    await page.getByLabel('Password').waitFor();
    expect(await page.locator('#signed-in').isHidden()).toBe(true);
    await page.getByLabel('Email').fill('olive@example.com');
    await page.getByLabel('Password').fill(password);
    const callback = await landOnCallback(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('code')).toMatch(/.{20,}/);
    await context.close();
  });
});
