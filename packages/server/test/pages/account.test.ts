import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, inPage, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'account page passphrase';
let server: TestServer;
let browser: Browser;

/** A fresh browser profile (its own cookies) signed in on /account. */
async function signedIn(email: string, remember = false): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughPage(page, server.url, { email, password, remember });
  await page.waitForURL(`${server.url}/account`);
  await page.locator('#session-type', { hasText: remember ? 'extended' : 'standard' }).waitFor();
  return page;
}

async function register(email: string, name: string): Promise<void> {
  expect((await call(server.url, 'POST', '/auth/register', { body: { email, password, name } })).status).toBe(201);
}

describeInChromium('the account page', () => {
  beforeAll(async () => {
    buildPageAssets();
    server = await startTestServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows one heading, the name, the session type, a countdown updated every second and the devices', async () => {
    await register('ada@example.com', 'Ada Lovelace');
    const laptop = await signedIn('ada@example.com');
    const phone = await signedIn('ada@example.com', true);
    await laptop.reload();
    await laptop.locator('#devices > li').nth(1).waitFor();

    expect(await laptop.locator('h1').allTextContents()).toEqual(['Your account']);
    expect(await laptop.locator('#user-name').textContent()).toBe('Ada Lovelace');
    expect(await laptop.locator('#session-type').textContent()).toBe('standard');
    expect(await phone.locator('#session-type').textContent()).toBe('extended');
    // "standard" appears once on the page: the session type, not the device list.
    expect(await laptop.getByText('standard', { exact: false }).count()).toBe(1);

    // Sample the countdown for a little over three seconds: h:mm:ss, one second at a time.
    const seen: string[] = [];
    for (let i = 0; i < 14; i++) {
      const text = (await laptop.locator('#countdown').textContent())!;
      if (seen.at(-1) !== text) seen.push(text);
      await laptop.waitForTimeout(250);
    }
    for (const text of seen) expect(text).toMatch(/^\d+:[0-5]\d:[0-5]\d$/);
    const seconds = seen.map((t) => t.split(':').reduce((acc, part) => acc * 60 + Number(part), 0));
    expect(seconds.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i - 1]! - seconds[i]!).toBe(1);
    expect(seconds[0]).toBeGreaterThan(24 * 3600 - 60);
    expect(seconds[0]).toBeLessThanOrEqual(24 * 3600);
    expect(await laptop.locator('#countdown').getAttribute('role')).toBe('timer');

    const devices = laptop.locator('#devices > li');
    expect(await devices.count()).toBe(2);
    const current = laptop.locator('#devices > li', { hasText: 'This device' });
    expect(await current.count()).toBe(1);
    expect(await current.getByRole('button').count()).toBe(0);
    const other = laptop.locator('#devices > li:not(.current)');
    expect(await other.getByRole('button', { name: 'Revoke', exact: true }).count()).toBe(1);
    expect(await laptop.getByRole('button', { name: 'Sign out everywhere' }).count()).toBe(1);
    await screenshot(laptop, 'account-overview');
    await laptop.context().close();
    await phone.context().close();
  });

  it('signs a device out as soon as it is revoked from another browser, and says why', async () => {
    await register('bob@example.com', 'Bob Builder');
    const victim = await signedIn('bob@example.com');
    const owner = await signedIn('bob@example.com', true);
    const victimSession = await victim.locator('#devices > li.current').getAttribute('data-session');

    await owner.locator(`#devices > li[data-session="${victimSession}"]`).getByRole('button', { name: 'Revoke' }).click();
    await owner.locator('#devices-status', { hasText: 'Signed out' }).waitFor();
    await expect.poll(() => owner.locator('#devices > li').count()).toBe(1);
    await screenshot(owner, 'account-revoked-other-device');

    // The revoked browser learns it on its next check (every 5 s on this page), without a reload.
    const reason = victim.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(await reason.textContent()).toBe('Your session was revoked from another device.');
    expect(await reason.getAttribute('role')).toBe('alert');
    expect(await victim.locator('#signed-in').isHidden()).toBe(true);
    expect(await inPage(victim, 'localStorage.length')).toBe(0);
    await screenshot(victim, 'account-revoked');

    // Coming back later, the visitor is sent to the sign-in page, which says why.
    await victim.reload();
    await victim.waitForURL((url) => url.pathname === '/login');
    expect(await victim.locator('#notice').textContent()).toBe('Your session was revoked from another device.');
    expect(await owner.locator('#signed-in').isVisible()).toBe(true);
    await victim.context().close();
    await owner.context().close();
  });

  it('signs out everywhere from the button: this browser lands on the sign-in page, the others say why', async () => {
    await register('cy@example.com', 'Cy Young');
    const first = await signedIn('cy@example.com');
    const second = await signedIn('cy@example.com', true);
    await first.getByRole('button', { name: 'Sign out everywhere' }).click();
    await first.waitForURL(`${server.url}/login?reason=logout_all`);
    expect(await first.locator('#notice').textContent()).toBe('You signed out everywhere.');
    const reason = second.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(await reason.textContent()).toBe('You signed out everywhere.');
    // "Sign in again" carries the reason: the sign-in page says it too, and does not knock
    // on the ended session's door (no 401 from /auth/session or /auth/refresh).
    const refused: string[] = [];
    second.on('response', (r) => void (r.status() === 401 && refused.push(new URL(r.url()).pathname)));
    await second.getByRole('link', { name: 'Sign in again' }).click();
    await second.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('reason') === 'logout_all');
    expect(await second.locator('#notice').textContent()).toBe('You signed out everywhere.');
    await second.getByLabel('Email').waitFor();
    expect(refused).toEqual([]);
    await screenshot(first, 'account-signed-out-everywhere');
    await first.context().close();
    await second.context().close();
  });

  it('sends a signed-out visitor to the sign-in page, and back after signing in', async () => {
    await register('di@example.com', 'Di Prince');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/account`);
    await page.waitForURL(`${server.url}/login?return_to=%2Faccount`);
    await page.getByLabel('Email').fill('di@example.com');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/account`);
    expect(await page.locator('#user-name').textContent()).toBe('Di Prince');
    await context.close();
  });

  it('renews a lapsed access token on the way in: the page loads on the same session after 20 idle minutes', async () => {
    await register('eve@example.com', 'Eve Idle');
    const page = await signedIn('eve@example.com');
    const sessionId = await page.locator('#devices > li.current').getAttribute('data-session');
    await page.goto('about:blank');
    server.clock.advance(20 * 60_000); // past the 15-minute access token, well within the session
    const refreshed = page.waitForResponse((r) => r.url() === `${server.url}/auth/refresh` && r.status() === 200);
    await page.goto(`${server.url}/account`);
    await refreshed;
    await page.locator('#session-type', { hasText: 'standard' }).waitFor();
    expect(page.url()).toBe(`${server.url}/account`);
    expect(await page.locator('#devices > li.current').getAttribute('data-session')).toBe(sessionId);
    await page.context().close();
  });
});
