import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, inPage, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'csrf page passphrase';
let server: TestServer;
let browser: Browser;
let attacker: Server;
let attackerPort: number;

/** Another site's page that posts a form to Latchkey as soon as it loads (the classic CSRF). */
function attackPage(action: string, fields: Record<string, string> = {}): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join('');
  return `<!doctype html><title>Win a prize</title><form id="f" method="post" action="${action}">${inputs}</form>
<script>document.getElementById('f').submit()</script>`;
}

async function signedIn(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughPage(page, server.url, { email: 'csrf@example.com', password });
  await page.waitForURL(`${server.url}/account`);
  await page.locator('#session-type', { hasText: 'standard' }).waitFor();
  return page;
}

/** Opens the attacker's page in the victim's browser and returns Latchkey's answer to the forged post. */
async function forge(victim: Page, origin: string, path: string, fields?: Record<string, string>) {
  const tab = await victim.context().newPage();
  const url = `${origin}/?action=${encodeURIComponent(server.url + path)}&fields=${encodeURIComponent(JSON.stringify(fields ?? {}))}`;
  const [response] = await Promise.all([tab.waitForResponse((r) => r.url() === server.url + path), tab.goto(url)]);
  await tab.waitForLoadState();
  return { tab, status: response.status(), body: await response.json(), sentCookies: (await response.request().allHeaders()).cookie ?? '' };
}

describeInChromium('cross-site requests', () => {
  beforeAll(async () => {
    buildPageAssets();
    server = await startTestServer();
    browser = await launchChromium();
    expect(
      (await call(server.url, 'POST', '/auth/register', { body: { email: 'csrf@example.com', password, name: 'Cass Surf' } })).status,
    ).toBe(201);
    attacker = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(attackPage(query.get('action') ?? '', JSON.parse(query.get('fields') ?? '{}')));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  it('refuses a form post from another origin of the same site, which carries the cookies but not the header: 403 csrf_failed', async () => {
    const victim = await signedIn();
    for (const path of ['/auth/logout-all', '/auth/logout', '/auth/refresh', `/admin/users/x/block`]) {
      const { tab, status, body, sentCookies } = await forge(victim, `http://127.0.0.1:${attackerPort}`, path);
      // Same site (127.0.0.1), so even the SameSite=Strict cookies went along; only the header is missing.
      expect(sentCookies).toContain('__Host-lk_at=');
      expect(status).toBe(403);
      expect(body).toEqual({ error: 'csrf_failed', error_description: expect.any(String) });
      await screenshot(tab, `csrf-refused${path.replaceAll('/', '-')}`);
      await tab.close();
    }
    // Nothing happened: the person is still signed in.
    await victim.reload();
    await victim.locator('#session-type', { hasText: 'standard' }).waitFor();
    expect(await victim.locator('#devices > li.current').count()).toBe(1);
    await victim.context().close();
  });

  it('refuses a form post from another site the same way, though no cookie goes along (SameSite), and the session stands', async () => {
    const victim = await signedIn();
    for (const path of ['/auth/logout-all', '/auth/refresh', '/auth/login']) {
      const { tab, status, body, sentCookies } = await forge(victim, `http://localhost:${attackerPort}`, path, {
        email: 'csrf@example.com',
      });
      expect(sentCookies).toBe('');
      // The browser says where the post came from (Sec-Fetch-Site: cross-site).
      expect(status).toBe(403);
      expect(body).toEqual({ error: 'csrf_failed', error_description: expect.any(String) });
      await tab.close();
    }
    await victim.reload();
    await victim.locator('#session-type', { hasText: 'standard' }).waitFor();
    await victim.context().close();
  });

  it('lets the page itself do the same with the header the library adds', async () => {
    const victim = await signedIn();
    const status = await inPage<number>(
      victim,
      `import('/assets/latchkey.js').then((lk) => lk.createClient().fetch('/auth/logout', { method: 'POST' })).then((r) => r.status)`,
    );
    expect(status).toBe(204);
    await victim.context().close();
  });
});
