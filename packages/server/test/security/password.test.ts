import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, cookieLogin, PASSWORD, register } from './helpers.js';
import { resetTokenIn, startSmtpSink } from './smtp-sink.js';

let server: TestServer;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const NEW_PASSWORD = 'a brand new passphrase 2';

beforeAll(async () => {
  smtp = await startSmtpSink();
  // Each request below comes from its own (forwarded) address, so only the test of the
  // per-IP limit meets it.
  server = await startTestServer({
    LATCHKEY_SMTP_URL: smtp.url,
    LATCHKEY_MAIL_FROM: 'Latchkey <auth@latchkey.test>',
    LATCHKEY_TRUST_PROXY: '127.0.0.1',
  });
});
afterAll(async () => {
  await server.close();
  await smtp.close();
});

const session = (token: string) => call(server.url, 'GET', '/auth/session', { bearer: token });
const change = (token: string, currentPassword: string, newPassword: string) =>
  call(server.url, 'POST', '/auth/password', { bearer: token, body: { currentPassword, newPassword } });
let nextIp = 0;
const forgot = (email: string) =>
  call(server.url, 'POST', '/auth/password/forgot', {
    body: { email },
    headers: { 'x-forwarded-for': `198.51.${Math.floor(++nextIp / 250)}.${nextIp % 250}` },
  });
const reset = (token: string, newPassword: string) => call(server.url, 'POST', '/auth/password/reset', { body: { token, newPassword } });

/** Sends one forgot request for `email` and returns the token from the mail it causes. */
async function mailedToken(email: string): Promise<string> {
  const before = smtp.received.length;
  expect((await forgot(email)).status).toBe(202);
  const mails = await smtp.waitFor(before + 1);
  return resetTokenIn(mails[before]!);
}

describe('changing the password', () => {
  it('refuses a wrong current password with 401 invalid_credentials and a weak new one with 400 weak_password', async () => {
    await register(server, 'change1@example.com');
    const { access_token } = await bearerLogin(server, 'change1@example.com');
    const wrong = await change(access_token, 'not the password', NEW_PASSWORD);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_credentials', error_description: expect.any(String) });
    const weak = await change(access_token, PASSWORD, 'short');
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe('weak_password');
    const common = await change(access_token, PASSWORD, 'iloveyou');
    expect(common.status).toBe(400);
    expect(common.body.error).toBe('weak_password');
    // Nothing changed: the old password still signs in.
    expect((await bearerLogin(server, 'change1@example.com')).access_token).toBeTruthy();
  });

  it('ends every other session with reason password_changed and keeps this one', async () => {
    const user = await register(server, 'change2@example.com');
    const other = await bearerLogin(server, 'change2@example.com');
    const browser = await cookieLogin(server, 'change2@example.com');
    const current = await bearerLogin(server, 'change2@example.com');
    expect((await change(current.access_token, PASSWORD, NEW_PASSWORD)).status).toBe(204);

    expect((await session(current.access_token)).status).toBe(200);
    const ended = await session(other.access_token);
    expect(ended.status).toBe(401);
    expect(ended.body).toMatchObject({ error: 'unauthorized', reason: 'password_changed' });
    const refreshed = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: other.refresh_token } });
    expect(refreshed.body).toMatchObject({ error: 'invalid_grant', reason: 'password_changed' });
    const cookieSession = await call(server.url, 'GET', '/auth/session', { jar: browser.jar });
    expect(cookieSession.body).toMatchObject({ error: 'unauthorized', reason: 'password_changed' });

    const old = await call(server.url, 'POST', '/auth/login', { body: { email: 'change2@example.com', password: PASSWORD } });
    expect(old.status).toBe(401);
    expect((await bearerLogin(server, 'change2@example.com', NEW_PASSWORD)).access_token).toBeTruthy();

    const audit = await server.latchkey.stores.audit.query({ userId: user.id, type: 'password_changed', limit: 5 });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]!.sessionId).toBe(current.session.id);
    expect((audit.events[0]!.data.sessions as string[]).sort()).toEqual([other.session.id, browser.body.session.id].sort());
  });

  it('needs the CSRF header when authenticated by cookie', async () => {
    await register(server, 'change3@example.com');
    const { jar } = await cookieLogin(server, 'change3@example.com');
    const res = await call(server.url, 'POST', '/auth/password', { jar, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('csrf_failed');
    const ok = await call(server.url, 'POST', '/auth/password', {
      jar,
      csrf: true,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(ok.status).toBe(204);
  });

  it('throttles guessing the current password from a stolen session', async () => {
    await register(server, 'change4@example.com');
    const { access_token } = await bearerLogin(server, 'change4@example.com');
    for (let i = 0; i < 5; i++) expect((await change(access_token, `guess ${i} guess`, NEW_PASSWORD)).status).toBe(401);
    const locked = await change(access_token, PASSWORD, NEW_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('rate_limited');
    expect(locked.headers.get('retry-after')).toBe('60');
  });

  it('needs authentication', async () => {
    const res = await call(server.url, 'POST', '/auth/password', { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(401);
  });
});

describe('resetting a forgotten password', () => {
  it('answers 202 for a known address and mails a single-use link to it over SMTP', async () => {
    const user = await register(server, 'Reset1@Example.com');
    const before = smtp.received.length;
    const res = await forgot('reset1@example.com');
    expect(res.status).toBe(202);
    expect(res.body).toBeNull();
    const mail = (await smtp.waitFor(before + 1))[before]!;
    // As stored (nodemailer lower-cases only the domain of the envelope address).
    expect(mail.to).toEqual(['Reset1@example.com']);
    expect(mail.raw).toMatch(/^To: Reset1@Example\.com\r?$/im);
    expect(mail.from).toBe('auth@latchkey.test');
    const token = resetTokenIn(mail);
    expect(mail.text).toContain(`${server.url}/reset-password#token=${token}`);
    // Stored hashed: the database holds SHA-256 of the token, never the token.
    const db = new Database(server.latchkey.config.databaseUrl.slice('sqlite:'.length), { readonly: true });
    const rows = db.prepare('select hash, user_id from password_reset_tokens where user_id = ?').all(user.id) as Array<{ hash: string }>;
    db.close();
    expect(rows).toEqual([{ hash: createHash('sha256').update(token).digest('base64url'), user_id: user.id }]);

    const a = await bearerLogin(server, 'reset1@example.com');
    const b = await cookieLogin(server, 'reset1@example.com');
    expect((await reset(token, NEW_PASSWORD)).status).toBe(204);
    for (const res of [await session(a.access_token), await call(server.url, 'GET', '/auth/session', { jar: b.jar })]) {
      expect(res.status).toBe(401);
      expect(res.body.reason).toBe('password_reset');
    }
    expect((await bearerLogin(server, 'reset1@example.com', NEW_PASSWORD)).user.id).toBe(user.id);

    const again = await reset(token, 'yet another passphrase 3');
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    const audit = await server.latchkey.stores.audit.query({ userId: user.id, type: 'password_reset', limit: 5 });
    expect(audit.events).toHaveLength(1);
  });

  it('answers 202 for an unknown address and sends nothing', async () => {
    const before = smtp.received.length;
    expect((await forgot('nobody-here@example.com')).status).toBe(202);
    expect((await forgot('not an email at all')).status).toBe(202);
    // A known address afterwards: its mail is the only one that arrives.
    await register(server, 'reset2@example.com');
    expect((await forgot('reset2@example.com')).status).toBe(202);
    const mails = await smtp.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(mails.slice(before).map((m) => m.to)).toEqual([['reset2@example.com']]);
  });

  it('keeps the link when the new password is weak, and refuses it after 30 minutes', async () => {
    await register(server, 'reset3@example.com');
    const token = await mailedToken('reset3@example.com');
    const weak = await reset(token, 'password');
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe('weak_password');
    server.clock.advance(30 * 60_000);
    const late = await reset(token, NEW_PASSWORD);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_token');
    expect((await bearerLogin(server, 'reset3@example.com')).access_token).toBeTruthy();
  });

  it('accepts a link just inside 30 minutes, and only once among ten racing uses', async () => {
    await register(server, 'reset4@example.com');
    const token = await mailedToken('reset4@example.com');
    server.clock.advance(30 * 60_000 - 1000);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => reset(token, `${NEW_PASSWORD} ${i}`)));
    expect(results.filter((r) => r.status === 204)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_token')).toHaveLength(9);
  });

  it('invalidates older links once one is used', async () => {
    await register(server, 'reset5@example.com');
    const first = await mailedToken('reset5@example.com');
    const second = await mailedToken('reset5@example.com');
    expect((await reset(second, NEW_PASSWORD)).status).toBe(204);
    expect((await reset(first, 'another fine passphrase')).body.error).toBe('invalid_token');
  });

  it('mails the address on file, never a look-alike that was typed (U+212A KELVIN SIGN)', async () => {
    await register(server, 'kate@example.com');
    const before = smtp.received.length;
    expect((await forgot('\u212Aate@example.com')).status).toBe(202);
    const mail = (await smtp.waitFor(before + 1))[before]!;
    expect(mail.to).toEqual(['kate@example.com']);
  });

  it('refuses malformed tokens with 400 invalid_token', async () => {
    for (const token of ['', 'lkpr_short', 'lkrt_' + 'A'.repeat(43), "lkpr_' OR '1'='1", 'lkpr_' + 'A'.repeat(43)]) {
      const res = await reset(token, NEW_PASSWORD);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_token');
    }
  });

  it('limits requests: three an hour per address (known or not), ten per IP', async () => {
    for (const email of ['limit@example.com', 'limit-unknown@example.com']) {
      for (let i = 0; i < 3; i++) expect((await forgot(email)).status).toBe(202);
      const limited = await forgot(email);
      expect(limited.status).toBe(429);
      expect(limited.body.error).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBe(3600);
    }
    server.clock.advance(3_600_001);
    expect((await forgot('limit@example.com')).status).toBe(202);
  });
});

describe('the per-IP limit on reset requests', () => {
  it('answers 429 to the eleventh request within an hour from one address', async () => {
    const own = await startTestServer();
    try {
      for (let i = 0; i < 10; i++)
        expect((await call(own.url, 'POST', '/auth/password/forgot', { body: { email: `ip${i}@example.com` } })).status).toBe(202);
      const res = await call(own.url, 'POST', '/auth/password/forgot', { body: { email: 'ip10@example.com' } });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('3600');
    } finally {
      await own.close();
    }
  });
});
