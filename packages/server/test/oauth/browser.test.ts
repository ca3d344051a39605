/**
 * The whole authorization code flow in a real browser (Chromium): a relying party built
 * on openid-client sends the person to Latchkey, the /login page signs them in and goes
 * back to /oauth2/authorize, a third-party client's consent page is answered, and the
 * relying party receives the code on its loopback redirect and signs the person in.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildPageAssets, describeInChromium, launchChromium, screenshot } from '../pages/support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createClient, PASSWORD, registerPerson } from './support.js';

let server: TestServer;
let browser: Browser;
let rp: Server;
let rpUrl: string;

/** A minimal server-rendered relying party: /start redirects to Latchkey, /callback finishes the flow. */
async function startRelyingParty(clientId: string, secret: string): Promise<void> {
  const pending = new Map<string, { verifier: string; nonce: string }>();
  let config: oidc.Configuration | null = null;
  rp = createServer((req, res) => {
    void (async () => {
      config ??= await oidc.discovery(new URL(server.url), clientId, secret, undefined, { execute: [oidc.allowInsecureRequests] });
      const url = new URL(req.url!, rpUrl);
      if (url.pathname === '/start') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        pending.set(state, { verifier, nonce });
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${rpUrl}/callback`,
          scope: 'openid profile email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        });
        res.writeHead(302, { location: target.href }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const checks = pending.get(state);
        if (!checks) throw new Error('unknown state');
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: checks.verifier,
          expectedState: state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(`<!doctype html><title>RP</title><h1>Signed in as ${String(info.name)}</h1>`);
        return;
      }
      res.writeHead(404).end();
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`relying party error: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
  rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
}

describeInChromium('the authorization code flow in Chromium', () => {
  beforeAll(async () => {
    buildPageAssets();
    server = await startTestServer();
    browser = await launchChromium();
    await registerPerson(server, 'grace@example.com', 'Grace Hopper');
    await registerPerson(server, 'ada@example.com', 'Ada Lovelace');
    // Registered on the loopback without a port: the RP's port may be anything (RFC 8252 §7.3).
    const { secret } = await createClient(server, { id: 'photos', name: 'Photo Printer', redirectUris: ['http://127.0.0.1/callback'] });
    await startRelyingParty('photos', secret!);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => rp?.close(resolve));
    await server?.close();
  });

  it('signs in on /login, asks for consent once, and lands on the relying party signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rpUrl}/start`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Allow Photo Printer to use your account?' }).waitFor();
    expect(await page.getByRole('listitem').allTextContents()).toEqual([
      'Know who you are (your account id) (openid)',
      'See your name (profile)',
      'See your email address (email)',
    ]);
    await screenshot(page, 'oauth-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Signed in as Grace Hopper' }).waitFor();
    expect(new URL(page.url()).origin).toBe(rpUrl);

    // Signed in and consent remembered: a second visit goes straight through.
    await page.goto(`${rpUrl}/start`);
    await page.getByRole('heading', { name: 'Signed in as Grace Hopper' }).waitFor();
    await context.close();
  });

  it('sends a person who denies back to the relying party with access_denied', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rpUrl}/start`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.origin === rpUrl && url.pathname === '/callback');
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('iss')).toBe(server.url);
    await context.close();
  });
});
