import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'admin page passphrase';
const adminPassword = 'the admin passphrase';
let server: TestServer;
let browser: Browser;
let bobId: string;

async function signedIn(email: string, secret = password, returnTo?: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughPage(page, server.url, { email, password: secret, ...(returnTo ? { returnTo } : {}) });
  await page.waitForURL(`${server.url}${returnTo ?? '/account'}`);
  return page;
}

describeInChromium('the admin page', () => {
  beforeAll(async () => {
    buildPageAssets();
    server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `admin@example.com:${adminPassword}` });
    browser = await launchChromium();
    for (const [email, name] of [
      ['bob@example.com', 'Bob Builder'],
      ['carol@example.com', 'Carol Danvers'],
    ]) {
      const res = await call(server.url, 'POST', '/auth/register', { body: { email, password, name } });
      expect(res.status).toBe(201);
      if (email === 'bob@example.com') bobId = res.body.user.id;
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sends a signed-out visitor to sign in, and shows a person without the admin role a 403 page with no data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.waitForURL(`${server.url}/login?return_to=%2Fadmin`);

    await page.getByLabel('Email').fill('carol@example.com');
    await page.getByLabel('Password').fill(password);
    const [response] = await Promise.all([
      page.waitForResponse(`${server.url}/admin`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    const html = await response.text();
    expect(html).not.toContain('bob@example.com');
    expect(html).not.toContain('<table');
    expect(html).not.toContain('admin.js');
    await screenshot(page, 'admin-forbidden');
    await context.close();
  });

  it('lists and searches users, blocks one (signing them out with the reason), unblocks, and revokes sessions', async () => {
    const bob = await signedIn('bob@example.com');
    const admin = await signedIn('admin@example.com', adminPassword, '/admin');
    const rows = admin.locator('#users tbody tr');
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);

    await admin.getByLabel('Search users').fill('bob');
    await admin.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => admin.locator('#users tbody tr').count()).toBe(1);
    const row = admin.locator(`#users tbody tr[data-user="${bobId}"]`);
    expect(await row.locator('td').first().textContent()).toBe('Bob Builder');
    expect(await row.getByText('Active').count()).toBe(1);

    await row.getByRole('button', { name: 'Block bob@example.com' }).click();
    await admin.locator('#users-status', { hasText: 'Blocked bob@example.com.' }).waitFor();
    await row.getByText('Blocked', { exact: true }).waitFor();
    await screenshot(admin, 'admin-blocked');
    // Blocking revoked Bob's sessions: his open page says why.
    const reason = bob.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(await reason.textContent()).toBe('Your account has been blocked. Contact an administrator if you think this is a mistake.');
    expect((await call(server.url, 'POST', '/auth/login', { body: { email: 'bob@example.com', password } })).status).toBe(403);

    await row.getByRole('button', { name: 'Unblock bob@example.com' }).click();
    await row.getByText('Active', { exact: true }).waitFor();
    await bob.context().close();

    const bobAgain = await signedIn('bob@example.com');
    await row.getByRole('button', { name: 'Revoke sessions' }).click();
    await admin.locator('#users-status', { hasText: 'Signed out every session of bob@example.com.' }).waitFor();
    const again = bobAgain.locator('#signed-out-reason');
    await again.waitFor({ timeout: 15_000 });
    expect(await again.textContent()).toBe('An administrator ended your session.');
    await bobAgain.context().close();
    await admin.context().close();
  });

  it('shows the audit log, newest first, filtered by event type and by user', async () => {
    const admin = await signedIn('admin@example.com', adminPassword, '/admin');
    const events = admin.locator('#audit tbody tr');
    await events.first().waitFor();

    await admin.getByLabel('Event type').selectOption('user_blocked');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => admin.locator('#audit tbody tr td:nth-child(2)').allTextContents()).toEqual(['user_blocked']);
    expect(await events.count()).toBe(1);
    expect(await events.first().locator('td').nth(2).locator('code').getAttribute('title')).toBe(bobId);

    // "Audit" on a user's row filters the log to that user.
    await admin.getByRole('button', { name: 'Clear' }).click();
    await admin.locator(`#users tbody tr[data-user="${bobId}"]`).getByRole('button', { name: 'Audit events of bob@example.com' }).click();
    await expect
      .poll(
        async () =>
          new Set(
            await admin.locator('#audit tbody tr td:nth-child(3) code').evaluateAll((codes) => codes.map((c) => c.getAttribute('title'))),
          ),
      )
      .toEqual(new Set([bobId]));
    expect(await admin.getByLabel('User ID').inputValue()).toBe(bobId);
    const types = await admin.locator('#audit tbody tr td:nth-child(2)').allTextContents();
    expect(types).toEqual(expect.arrayContaining(['user_registered', 'login_succeeded', 'user_blocked', 'user_unblocked']));
    await screenshot(admin, 'admin-audit');
    await admin.context().close();
  });

  it('takes an admin whose access token lapsed through /login and straight back to /admin', async () => {
    const admin = await signedIn('admin@example.com', adminPassword, '/admin');
    await admin.locator('#users tbody tr').first().waitFor();
    await admin.goto('about:blank');
    server.clock.advance(20 * 60_000);
    await admin.goto(`${server.url}/admin`);
    // /admin sends the lapsed token to /login, which renews it and returns at once.
    await admin.waitForURL(`${server.url}/admin`);
    await admin.locator('#users tbody tr').first().waitFor();
    expect(await admin.locator('h1').textContent()).toBe('Administration');
    await admin.context().close();
  });
});
