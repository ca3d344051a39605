import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerClient } from '../../src/core/oauth/clients.js';
import { startSmtpSink } from '../security/smtp-sink.js';
import { call } from '../support/client.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { buildPageAssets, describeInChromium, launchChromium, screenshot, signInThroughPage } from './support.js';

const password = 'account security passphrase';
const newPassword = 'a fresh passphrase for spring';
// Frozen in the middle of a 30-second TOTP step, so "the next code" is exactly +30 s away.
const clock = new TestClock(Math.floor(Date.now() / 30_000) * 30_000 + 15_000);
let server: TestServer;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let browser: Browser;
/** The OAuth client app: it only receives the browser at its redirect URI. */
let app: Server;
let redirectUri: string;

async function register(email: string, name: string): Promise<string> {
  const res = await call(server.url, 'POST', '/auth/register', { body: { email, password, name } });
  expect(res.status).toBe(201);
  return res.body.user.id;
}

/** A fresh browser profile (its own cookies) signed in on /account with `secret`. */
async function signedIn(email: string, secret = password): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInThroughPage(page, server.url, { email, password: secret });
  await page.waitForURL(`${server.url}/account`);
  await page.locator('#session-type', { hasText: 'standard' }).waitFor();
  return page;
}

/** The code an authenticator app holding `secret` shows at the server's time, computed by `otpauth`. */
function totpNow(secret: string): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: clock.now() });
}

describeInChromium('account security pages', () => {
  beforeAll(async () => {
    buildPageAssets();
    smtp = await startSmtpSink();
    app = createServer((_req, res) => res.end('the client app'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    server = await startTestServer({ LATCHKEY_SMTP_URL: smtp.url, LATCHKEY_MAIL_FROM: 'Latchkey <auth@latchkey.test>' }, { clock });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  it('resets a forgotten password from the mailed link: the token never travels in a URL, every old session ends', async () => {
    await register('rita@example.com', 'Rita Reset');
    const old = await signedIn('rita@example.com');

    const page = await (await browser.newContext()).newPage();
    const urls: string[] = [];
    const resetBodies: string[] = [];
    page.on('request', (request) => {
      urls.push(request.url());
      if (request.url() === `${server.url}/auth/password/reset`) resetBodies.push(request.postData() ?? '');
    });
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${server.url}/forgot-password`);
    expect(await page.locator('h1').allTextContents()).toEqual(['Reset your password']);

    // An unknown address gets the same confirmation as a known one.
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const sent = page.locator('#sent-text');
    await sent.waitFor();
    const unknownText = await sent.textContent();
    await page.getByRole('button', { name: 'Use another address' }).click();
    await page.getByLabel('Email').fill('rita@example.com');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.locator('#sent-text', { hasText: 'rita@example.com' }).waitFor();
    const knownText = await sent.textContent();
    expect(knownText).toBe(
      'If rita@example.com is the address of an account, a link to choose a new password is on its way to it. The link works once, for 30 minutes.',
    );
    expect(unknownText).toBe(knownText!.replace('rita@example.com', 'nobody@example.com'));
    expect(await sent.getAttribute('role')).toBe('status');
    await screenshot(page, 'forgot-password-sent');

    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(['rita@example.com']);
    const link = /http:\/\/127\.0\.0\.1:\d+\/reset-password#token=lkpr_[A-Za-z0-9_-]{43}/.exec(mail!.text)?.[0];
    expect(link).toBeDefined();
    const token = new URL(link!).hash.slice('#token='.length);

    await page.goto(link!);
    await page.getByLabel('New password').waitFor();
    // The script took the token off the address bar, and no field asks for it.
    expect(page.url()).toBe(`${server.url}/reset-password`);
    expect(await page.getByLabel('Reset code').isHidden()).toBe(true);
    expect(await page.getByText('Use 8 to 256 characters.').count()).toBe(1);

    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set new password' }).click();
    const error = page.locator('#error-text');
    await error.waitFor();
    expect(await error.textContent()).toBe('The new password is too short: use at least 8 characters.');

    await page.getByLabel('New password').fill('password1');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.locator('#error-text', { hasText: 'commonly used' }).waitFor();
    expect(await error.textContent()).toBe('This password is among the most commonly used passwords; choose another.');
    expect(await page.locator('#error').getAttribute('role')).toBe('alert');
    await screenshot(page, 'reset-password-weak');

    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.locator('#done').waitFor();
    expect(await page.locator('#done-text').textContent()).toBe(
      'Your password has been changed, and every device that was signed in to your account has been signed out. Sign in with your new password.',
    );
    await screenshot(page, 'reset-password-done');
    // The token went to the server in JSON bodies only (the weak try, then this one), never in a URL.
    expect(resetBodies.map((b) => JSON.parse(b))).toEqual([
      { token, newPassword: 'password1' },
      { token, newPassword },
    ]);
    // What reaches a server of a URL is its path and query (never the fragment): no token there.
    expect(urls.length).toBeGreaterThan(3);
    expect(urls.filter((u) => `${new URL(u).pathname}${new URL(u).search}`.includes('lkpr_'))).toEqual([]);

    // The old browser learns on its next check that the reset signed it out.
    const reason = old.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(await reason.textContent()).toBe('Your password was reset, so you were signed out everywhere.');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/login`);
    await page.getByLabel('Email').fill('rita@example.com');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#error', { hasText: 'incorrect' }).waitFor();
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/account`);
    expect(await page.locator('#user-name').textContent()).toBe('Rita Reset');

    // The link worked once: opened again, it is refused with a way to ask for another.
    await page.goto(link!);
    await page.getByLabel('New password').fill('yet another passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.locator('#error-link').waitFor();
    expect(await error.textContent()).toBe(
      'This reset link is not valid: it may have been used already, or it has expired (links work for 30 minutes).',
    );
    expect(await page.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe('/forgot-password');
    expect(await page.locator('#reset-form').isHidden()).toBe(true);
    await screenshot(page, 'reset-password-invalid');
    await old.context().close();
    await page.context().close();
  });

  it('takes the code from the mail when the page is opened without the link, and refuses an unknown one', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/reset-password`);
    await page.getByLabel('Reset code').fill(`lkpr_${randomBytes(32).toString('base64url')}`);
    await page.getByLabel('New password').fill('a perfectly fine passphrase');
    const answer = page.waitForResponse(`${server.url}/auth/password/reset`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    const response = await answer;
    expect(response.status()).toBe(400);
    expect((await response.json()).error).toBe('invalid_token');
    await page.locator('#error-link').waitFor();
    expect(await page.locator('#error-text').textContent()).toBe(
      'This reset link is not valid: it may have been used already, or it has expired (links work for 30 minutes).',
    );
    // The form stays, so a mistyped code can be corrected.
    expect(await page.getByLabel('Reset code').isVisible()).toBe(true);
    await page.context().close();
  });

  it('changes the password on /account: a wrong current one is refused, and the other browser is signed out and told why', async () => {
    await register('cam@example.com', 'Cam Change');
    const here = await signedIn('cam@example.com');
    const elsewhere = await signedIn('cam@example.com');
    await here.reload();
    await here.locator('#devices > li').nth(1).waitFor();

    await here.getByLabel('Current password').fill('not my password');
    await here.getByLabel('New password').fill(newPassword);
    await here.getByRole('button', { name: 'Change password' }).click();
    const error = here.locator('#password-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('The current password is not right.');

    await here.getByLabel('Current password').fill(password);
    await here.getByLabel('New password').fill('iloveyou');
    await here.getByRole('button', { name: 'Change password' }).click();
    await here.locator('#password-error', { hasText: 'commonly used' }).waitFor();
    expect(await error.textContent()).toBe('This password is among the most commonly used passwords; choose another.');

    await here.getByLabel('New password').fill(newPassword);
    await here.getByRole('button', { name: 'Change password' }).click();
    const status = here.locator('#password-status');
    await status.waitFor();
    expect(await status.textContent()).toBe('Your password was changed. Every other device was signed out; this one stays signed in.');
    expect(await error.isHidden()).toBe(true);
    expect(await here.getByLabel('Current password').inputValue()).toBe('');
    await expect.poll(() => here.locator('#devices > li').count()).toBe(1);
    await screenshot(here, 'account-password-changed');

    const reason = elsewhere.locator('#signed-out-reason');
    await reason.waitFor({ timeout: 15_000 });
    expect(await reason.textContent()).toBe('Your password was changed, so you were signed out.');
    await screenshot(elsewhere, 'account-password-changed-elsewhere');

    // This browser kept its session; the new password is the one that signs in.
    await here.reload();
    expect(await here.locator('#user-name').textContent()).toBe('Cam Change');
    const old = await call(server.url, 'POST', '/auth/login', { body: { email: 'cam@example.com', password } });
    expect(old.status).toBe(401);
    const again = await signedIn('cam@example.com', newPassword);
    expect(again.url()).toBe(`${server.url}/account`);
    await again.context().close();
    await here.context().close();
    await elsewhere.context().close();
  });

  it('sets up two-step verification: the secret and link, a first code, ten backup codes once; sign-in then asks for a code', async () => {
    await register('mo@example.com', 'Mo Factor');
    const page = await signedIn('mo@example.com');
    const state = page.locator('#mfa-state');
    await state.locator('strong', { hasText: 'off' }).waitFor();
    expect(await state.textContent()).toBe('Two-step verification is off. Only your password protects this account.');

    await page.getByRole('button', { name: 'Set up two-step verification' }).click();
    await page.locator('#mfa-setup').waitFor();
    const secret = (await page.locator('#mfa-secret').textContent())!.replace(/ /g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = (await page.locator('#mfa-url').textContent())!;
    expect(new URL(url).protocol).toBe('otpauth:');
    expect(new URL(url).searchParams.get('secret')).toBe(secret);
    expect(await page.getByRole('link', { name: 'Open in authenticator app' }).getAttribute('href')).toBe(url);
    await screenshot(page, 'account-mfa-setup');

    await page.getByLabel('Code from the app', { exact: true }).fill('000000' === totpNow(secret) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#mfa-error', { hasText: 'not right' }).waitFor();
    await page.getByLabel('Code from the app', { exact: true }).fill(totpNow(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#mfa-codes').waitFor();
    const codes = await page.locator('#mfa-code-list li').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(await page.locator('#mfa-codes-warning').textContent()).toContain('they are shown only this once');
    expect(await state.textContent()).toBe('Two-step verification is on.');
    await screenshot(page, 'account-mfa-backup-codes');
    await page.getByRole('button', { name: 'I have stored them' }).click();
    expect(await page.locator('#mfa-code-list li').count()).toBe(0);
    await page.getByRole('button', { name: 'Turn off two-step verification' }).waitFor();

    // The state comes from the server (GET /auth/mfa), so a reload still shows it on.
    await page.reload();
    await state.locator('strong', { hasText: 'on' }).waitFor();
    expect(await page.locator('#mfa-setup').isHidden()).toBe(true);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.url}/login?reason=logout`);
    clock.advance(30_000); // the enabling code's step is used up; the app shows the next one
    await page.getByLabel('Email').fill('mo@example.com');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').waitFor();
    await page.getByLabel('Authentication code').fill(totpNow(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${server.url}/account`);
    await state.locator('strong', { hasText: 'on' }).waitFor();

    // Turning it off takes a code too; a backup code does.
    await page.getByLabel('Code from the app or a backup code').fill(codes[0]!);
    await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
    await state.locator('strong', { hasText: 'off' }).waitFor();
    expect(await page.locator('#mfa-status').textContent()).toBe('Two-step verification is off.');
    const login = await call(server.url, 'POST', '/auth/login', { body: { email: 'mo@example.com', password } });
    expect(login.status).toBe(200);
    await page.context().close();
  });

  it('lists the apps a person allowed and removes one: its consent and its tokens end', async () => {
    const userId = await register('ann@example.com', 'Ann App');
    await registerClient(
      server.latchkey.deps,
      {
        id: 'notes-app',
        name: 'Notes app',
        public: true,
        redirectUris: [redirectUri],
        grantTypes: ['authorization_code'],
        scopes: ['openid', 'profile'],
      },
      null,
    );
    const page = await signedIn('ann@example.com');
    await page.locator('#apps-empty').waitFor();
    expect(await page.locator('#apps-empty').textContent()).toBe('No apps have access to your account.');

    // The person allows the app on the consent page, and the app takes its tokens.
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: 'notes-app',
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state: 'xyz',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    await page.goto(`${server.url}/oauth2/authorize?${params}`);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: 'notes-app',
        code_verifier: verifier,
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const userinfo = () => fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    await page.goto(`${server.url}/account`);
    const item = page.locator('#apps > li', { hasText: 'Notes app' });
    await item.waitFor();
    expect(await page.locator('#apps > li').count()).toBe(1);
    expect(await item.locator('.device-meta').textContent()).toMatch(/^Can know who you are, see your name · allowed /);
    expect(await page.locator('#apps-empty').isHidden()).toBe(true);
    await screenshot(page, 'account-apps');

    await item.getByRole('button', { name: 'Remove access' }).click();
    await page.locator('#apps-status', { hasText: 'Notes app' }).waitFor();
    expect(await page.locator('#apps-status').textContent()).toBe('Notes app no longer has access to your account.');
    await page.locator('#apps-empty').waitFor();
    expect(await page.locator('#apps > li').count()).toBe(0);
    expect(await server.latchkey.deps.consents.find(userId, 'notes-app')).toBeNull();
    expect((await userinfo()).status).toBe(401);
    // The person's own session is untouched.
    expect(await page.locator('#signed-in').isVisible()).toBe(true);
    await page.context().close();
  });
});
