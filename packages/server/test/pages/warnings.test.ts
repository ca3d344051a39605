import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'warnings passphrase';
const MINUTE = 60_000;
let server: TestServer;
let browser: Browser;

describeInChromium('expiry warnings and the automatic sign-out', () => {
  beforeAll(async () => {
    buildPageAssets();
    // A 31-minute session on the server's movable clock; the browser's clock is moved with it.
    server = await startTestServer({ LATCHKEY_SESSION_TTL: '31m' });
    browser = await launchChromium();
    expect(
      (await call(server.url, 'POST', '/auth/register', { body: { email: 'warn@example.com', password, name: 'Wren Warner' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('warns 30 and 5 minutes before the absolute end, renews in between, and signs out at the end', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.clock.install({ time: server.clock.now() });
    await signInThroughPage(page, server.url, { email: 'warn@example.com', password });
    await page.waitForURL(`${server.url}/account`);
    await page.locator('#session-type', { hasText: 'standard' }).waitFor();
    expect(await page.locator('#countdown').textContent()).toMatch(/^0:3[01]:\d\d$/);
    const warnings = page.locator('#warnings > li');
    expect(await warnings.count()).toBe(0);

    // 61 seconds on: less than 30 minutes left.
    server.clock.advance(61_000);
    await page.clock.fastForward(61_000);
    await warnings.first().waitFor();
    expect(await warnings.allTextContents()).toEqual([expect.stringContaining('Your session ends in less than 30 minutes')]);
    expect(await page.locator('#countdown').textContent()).toMatch(/^0:29:\d\d$/);
    await screenshot(page, 'warning-30-minutes');

    // 25 more minutes: the 15-minute access token has been renewed on the way, and 5 minutes remain.
    const sessionId = (await page.locator('#devices > li.current').getAttribute('data-session'))!;
    const renewed = (await server.latchkey.stores.audit.query({ type: 'refresh_succeeded', limit: 50 })).events.length;
    server.clock.advance(25 * MINUTE);
    await page.clock.fastForward(25 * MINUTE);
    await warnings.nth(1).waitFor();
    expect(await warnings.nth(1).textContent()).toContain('Your session ends in less than 5 minutes');
    expect(await page.locator('#countdown').textContent()).toMatch(/^0:0[45]:\d\d$/);
    // The renewal runs beside the warning timer and its audit row is group-committed: wait for it.
    const refreshEvents = async () => (await server.latchkey.stores.audit.query({ type: 'refresh_succeeded', limit: 50 })).events;
    await expect.poll(async () => (await refreshEvents()).length).toBeGreaterThan(renewed);
    const refreshes = await refreshEvents();
    expect(refreshes[0]!.sessionId).toBe(sessionId);
    expect(await page.locator('#signed-in').isVisible()).toBe(true);
    await screenshot(page, 'warning-5-minutes');

    // Past the absolute end: signed out on the spot, saying why.
    server.clock.advance(5 * MINUTE);
    await page.clock.fastForward(5 * MINUTE);
    const reason = page.locator('#signed-out-reason');
    await reason.waitFor();
    expect(await reason.textContent()).toBe('Your session expired.');
    await screenshot(page, 'warning-expired');

    // The server agrees: the session is over, and a reload lands on the sign-in page.
    await page.reload();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.locator('#notice', { hasText: 'Your session expired.' }).waitFor();
    await context.close();
  });
});
