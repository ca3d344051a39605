import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, inPage, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'two tabs passphrase';
let server: TestServer;
let browser: Browser;

/** In a page: `rounds` refreshes in a row, through a fresh @latchkey/browser client or through bare fetch. */
const hammer = (rounds: number, via: 'library' | 'bare-fetch') => `(async () => {
  const lk = await import('/assets/latchkey.js');
  const client = lk.createClient();
  const results = [];
  for (let i = 0; i < ${rounds}; i++) {
    if (${JSON.stringify(via)} === 'library') {
      const state = await client.refresh();
      results.push(state ? 200 : 401);
    } else {
      const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-csrf-token': lk.csrfFromCookie() } });
      results.push(res.status);
    }
  }
  return results;
})()`;

async function auditCount(type: string, sessionId?: string): Promise<number> {
  const { events } = await server.latchkey.stores.audit.query({ type, limit: 500 });
  return events.filter((e) => sessionId === undefined || e.sessionId === sessionId).length;
}

async function tabs(context: BrowserContext, count: number): Promise<Page[]> {
  const pages = [context.pages()[0] ?? (await context.newPage())];
  while (pages.length < count) {
    const page = await context.newPage();
    await page.goto(`${server.url}/account`);
    await page.locator('#session-type', { hasText: 'standard' }).waitFor();
    pages.push(page);
  }
  return pages;
}

describeInChromium('renewal shared by the tabs of one browser', () => {
  beforeAll(async () => {
    buildPageAssets();
    // A 3-second access token: the tabs renew every couple of seconds.
    server = await startTestServer({ LATCHKEY_ACCESS_TTL: '3s' });
    browser = await launchChromium();
    expect(
      (await call(server.url, 'POST', '/auth/register', { body: { email: 'tabs@example.com', password, name: 'Tab Tester' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('never signs the person out when tabs refresh at the same moment', async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signInThroughPage(first, server.url, { email: 'tabs@example.com', password });
    await first.waitForURL(`${server.url}/account`);
    await first.locator('#session-type', { hasText: 'standard' }).waitFor();
    const pages = await tabs(context, 3);
    const sessionId = (await first.locator('#devices > li.current').getAttribute('data-session'))!;
    const before = await auditCount('refresh_succeeded', sessionId);

    // The open tabs' monitors all renew from the same expiry, so their timers fire together.
    await first.waitForTimeout(9_000);
    // And on top of that, every tab refreshes five times in a row, all tabs at once.
    const results = await Promise.all(pages.map((page) => inPage<number[]>(page, hammer(5, 'library'))));
    expect(results).toEqual(pages.map(() => [200, 200, 200, 200, 200]));

    const refreshes = (await auditCount('refresh_succeeded', sessionId)) - before;
    expect(refreshes).toBeGreaterThanOrEqual(15 + 3);
    expect(await auditCount('refresh_token_reuse')).toBe(0);
    expect((await server.latchkey.stores.sessions.findById(sessionId))!.endedAt).toBeNull();
    for (const page of pages) {
      expect(await page.locator('#signed-in').isVisible()).toBe(true);
      expect(await page.locator('#signed-out').isHidden()).toBe(true);
    }
    // Still signed in after all that: a reload shows the account.
    await first.reload();
    await first.locator('#session-type', { hasText: 'standard' }).waitFor();
    expect(first.url()).toBe(`${server.url}/account`);
    await screenshot(first, 'two-tabs-still-signed-in');
    await context.close();
  });

  it('(control) the same refreshes without the lock present rotated tokens again and end the session as reuse', async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signInThroughPage(first, server.url, { email: 'tabs@example.com', password });
    await first.waitForURL(`${server.url}/account`);
    const sessionId = (await first.locator('#devices > li.current').getAttribute('data-session'))!;
    const second = await context.newPage();
    await second.goto(`${server.url}/login`);
    const third = await context.newPage();
    await third.goto(`${server.url}/login`);

    // The race without the lock, made certain rather than left to the scheduler: the second
    // tab's bare refresh leaves with the current token and is held on the way (a slow
    // network), while the third tab refreshes twice, the second time with the successor.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent!: () => void;
    const inFlight = new Promise<void>((resolve) => (sent = resolve));
    await second.route('**/auth/refresh', async (route) => {
      // The request as it left the tab, with the refresh cookie of that moment (Chromium
      // would attach the jar's cookies of the later moment the request goes on).
      const jar = await context.cookies(`${server.url}/auth/refresh`);
      const cookie = jar.map((c) => `${c.name}=${c.value}`).join('; ');
      const headers = { ...(await route.request().allHeaders()), cookie };
      sent();
      await released;
      await route.fulfill({ response: await route.fetch({ headers }) });
    });
    const held = inPage<number[]>(second, hammer(1, 'bare-fetch'));
    await inFlight;
    expect(await inPage<number[]>(third, hammer(2, 'bare-fetch'))).toEqual([200, 200]);
    release();
    expect(await held).toEqual([401]);
    expect(await auditCount('refresh_token_reuse', sessionId)).toBe(1);
    expect((await server.latchkey.stores.sessions.findById(sessionId))!.endReason).toBe('reuse_detected');
    // The open account page signs out too. It may not learn why: the bare fetch that was
    // refused told no other tab, and the refusal cleared the cookies.
    const reason = first.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(['You are signed out.', expect.stringContaining('used twice')]).toContainEqual(await reason.textContent());
    await screenshot(first, 'two-tabs-control-reuse');
    await context.close();
  });
});
