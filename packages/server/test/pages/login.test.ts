import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, inPage, launchChromium, launchPersistent, screenshot, signInThroughPage } from './support.js';

const password = 'page test passphrase';
let server: TestServer;
let browser: Browser;

async function register(email: string, name: string) {
  const res = await call(server.url, 'POST', '/auth/register', { body: { email, password, name } });
  expect(res.status).toBe(201);
  return res.body.user as { id: string; name: string };
}

describeInChromium('the sign-in page', () => {
  beforeAll(async () => {
    buildPageAssets();
    server = await startTestServer();
    browser = await launchChromium();
    await register('ada@example.com', 'Ada Lovelace');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('labels Email and Password, leaves "Keep me signed in" off and says what it means, under a strict CSP', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/login`);
    expect(response!.status()).toBe(200);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response!.headers()['cache-control']).toBe('no-store');

    await expect(page.getByLabel('Email').getAttribute('type')).resolves.toBe('email');
    await expect(page.getByLabel('Password').getAttribute('type')).resolves.toBe('password');
    const remember = page.getByRole('checkbox', { name: 'Keep me signed in' });
    expect(await remember.isChecked()).toBe(false);
    const hint = await page.locator('#remember-hint').textContent();
    expect(hint).toContain('24 hours');
    expect(hint).toContain('30 days');
    await expect(remember.getAttribute('aria-describedby')).resolves.toBe('remember-hint');
    expect(await page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true);
    // No inline script anywhere: every <script> has a src on this origin.
    const scripts = await inPage(page, `[...document.scripts].map((s) => s.src)`);
    expect(scripts).toEqual([`${server.url}/assets/login.js`]);
    await screenshot(page, 'login-form');
    await page.close();
  });

  it('says why a sign-in was refused, in an alert', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The email or password is incorrect.');
    // The password field is cleared and focused for another try.
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(await inPage(page, 'document.activeElement.id')).toBe('password');
    await screenshot(page, 'login-refused');
    await page.close();
  });

  it('gives a standard session that ends with the browser: after a restart the person must sign in again', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
    try {
      let context = await launchPersistent(profile);
      let page = context.pages()[0] ?? (await context.newPage());
      await signInThroughPage(page, server.url, { email: 'ada@example.com', password });
      await page.waitForURL(`${server.url}/account`);
      await page.locator('#session-type', { hasText: 'standard' }).waitFor();
      await context.close();

      context = await launchPersistent(profile);
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${server.url}/account`);
      await page.waitForURL(`${server.url}/login?return_to=%2Faccount`);
      expect(await page.context().cookies()).toEqual([]);
      await screenshot(page, 'login-standard-after-restart');
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('keeps an extended session ("Keep me signed in") across a browser restart', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
    try {
      let context = await launchPersistent(profile);
      let page = context.pages()[0] ?? (await context.newPage());
      await signInThroughPage(page, server.url, { email: 'ada@example.com', password, remember: true });
      await page.waitForURL(`${server.url}/account`);
      await page.locator('#session-type', { hasText: 'extended' }).waitFor();
      const sessionId = await page.locator('li.current').getAttribute('data-session');
      await context.close();

      context = await launchPersistent(profile);
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${server.url}/account`);
      await page.locator('#session-type', { hasText: 'extended' }).waitFor();
      expect(page.url()).toBe(`${server.url}/account`);
      expect(await page.locator('#user-name').textContent()).toBe('Ada Lovelace');
      // The same session, not a new sign-in.
      expect(await page.locator('li.current').getAttribute('data-session')).toBe(sessionId);
      await screenshot(page, 'login-extended-after-restart');
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('keeps no token where script can read it: only the CSRF cookie and {id, name} in localStorage', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughPage(page, server.url, { email: 'ada@example.com', password });
    await page.waitForURL(`${server.url}/account`);
    await page.locator('#session-type', { hasText: 'standard' }).waitFor();
    const seen = await inPage(
      page,
      `({ cookie: document.cookie, storage: Object.fromEntries(Object.entries(localStorage)), session: Object.keys(sessionStorage) })`,
    );
    expect(seen.cookie).toMatch(/^__Host-lk_csrf=[A-Za-z0-9_-]+$/);
    const user = (await call(server.url, 'GET', '/auth/session', { headers: { cookie: await cookieHeader(context) } })).body.user;
    expect(seen.storage).toEqual({ 'latchkey.profile': JSON.stringify({ id: user.id, name: 'Ada Lovelace' }) });
    expect(seen.session).toEqual([]);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === '__Host-lk_at')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(cookies.find((c) => c.name === '__Secure-lk_rt')).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/auth',
    });
    await context.close();
  });

  it('goes back to a same-origin return_to with its own query string (the OAuth redirect), encoded or not', async () => {
    const target = '/oauth2/authorize?response_type=code&client_id=demo&state=a%20b&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb';
    for (const login of [`/login?return_to=${encodeURIComponent(target)}`, `/login?return_to=${target}`]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(server.url + login);
      await page.getByLabel('Email').fill('ada@example.com');
      await page.getByLabel('Password').fill(password);
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.isNavigationRequest() && new URL(r.url()).pathname === '/oauth2/authorize'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(request.url()).toBe(server.url + target);
      await context.close();
    }
  });

  it('refuses return_to values that leave the origin and goes to /account instead', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/\t/evil.example']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signInThroughPage(page, server.url, { email: 'ada@example.com', password, returnTo: evil });
      await page.waitForURL(`${server.url}/account`);
      await context.close();
    }
  });

  it('asks for the authenticator code when the account has two-step verification, then signs in', async () => {
    const user = await register('mfa@example.com', 'Grace Hopper');
    const jar = new CookieJar();
    expect((await call(server.url, 'POST', '/auth/login', { jar, body: { email: 'mfa@example.com', password } })).status).toBe(200);
    const setup = await call(server.url, 'POST', '/auth/mfa/totp/setup', { jar, csrf: true });
    expect(setup.status).toBe(200);
    const totp = new TOTP({ secret: setup.body.secret, digits: 6, period: 30, algorithm: 'SHA1' });
    const enable = await call(server.url, 'POST', '/auth/mfa/totp/enable', {
      jar,
      csrf: true,
      body: { code: totp.generate({ timestamp: server.clock.now() }) },
    });
    expect(enable.status).toBe(200);

    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughPage(page, server.url, { email: 'mfa@example.com', password, remember: true });
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    expect(await inPage(page, 'document.activeElement.id')).toBe('code');
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'That code is not right. Check your authenticator app and try again.',
    );
    await screenshot(page, 'login-mfa-step');
    await code.fill(enable.body.backup_codes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${server.url}/account`);
    // The "Keep me signed in" choice made at the password step carries through the MFA step.
    await page.locator('#session-type', { hasText: 'extended' }).waitFor();
    expect(await page.locator('#user-name').textContent()).toBe(user.name);
    await context.close();
  });
});

async function cookieHeader(context: import('playwright-core').BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}
