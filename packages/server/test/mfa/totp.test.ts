import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/core/mfa/totp.js';
import { call, CookieJar } from '../support/client.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { bearerLogin, PASSWORD, register } from '../security/helpers.js';

let server: TestServer;
// Start in the middle of a 30 s step so "the next step" is always exactly +30 s.
const clock = new TestClock(Math.floor(Date.now() / 30_000) * 30_000 + 15_000);

beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(() => server.close());

const login = (email: string, extra: Record<string, unknown> = {}) =>
  call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer', ...extra } });
const loginMfa = (mfa_token: string, code: string, jar?: CookieJar) =>
  call(server.url, 'POST', '/auth/login/mfa', { body: { mfa_token, code }, jar });
const nextStep = () => clock.advance(30_000);

/** Registers, signs in and enrols TOTP; returns the secret and backup codes. */
async function enrolled(email: string) {
  const user = await register(server, email);
  const { access_token } = await bearerLogin(server, email);
  const setup = await call(server.url, 'POST', '/auth/mfa/totp/setup', { bearer: access_token });
  expect(setup.status).toBe(200);
  const enable = await call(server.url, 'POST', '/auth/mfa/totp/enable', {
    bearer: access_token,
    body: { code: totpCode(setup.body.secret, clock.now()) },
  });
  expect(enable.status).toBe(200);
  nextStep(); // the enabling code's step is used up
  return { user, secret: setup.body.secret as string, backupCodes: enable.body.backup_codes as string[], access_token };
}

async function mfaToken(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await login(email, extra);
  expect(res.status).toBe(401);
  return res.body.mfa_token;
}

describe('TOTP enrolment', () => {
  it('requires authentication for setup, enable and disable', async () => {
    for (const path of ['/auth/mfa/totp/setup', '/auth/mfa/totp/enable', '/auth/mfa/totp/disable']) {
      const res = await call(server.url, 'POST', path, { body: { code: '123456' } });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
    }
  });

  it('returns a base32 secret and an otpauth URL, and keeps only a sealed secret at rest', async () => {
    const user = await register(server, 'setup@example.com');
    const { access_token } = await bearerLogin(server, 'setup@example.com');
    const res = await call(server.url, 'POST', '/auth/mfa/totp/setup', { bearer: access_token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(res.body.otpauth_url);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(url.searchParams.get('secret')).toBe(res.body.secret);
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    expect(decodeURIComponent(url.pathname)).toContain('setup@example.com');

    const stored = await server.latchkey.stores.mfa.findTotp(user.id);
    expect(stored?.enabledAt).toBeNull();
    expect(stored?.pendingSecretSealed).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(res.body.secret);
    // Not enabled until a code confirms it: sign-in still needs only the password.
    expect((await login('setup@example.com')).status).toBe(200);
  });

  it('refuses a wrong first code with 400 invalid_mfa_code and enables with a right one, giving ten distinct backup codes', async () => {
    const user = await register(server, 'enable@example.com');
    const { access_token } = await bearerLogin(server, 'enable@example.com');
    const setup = await call(server.url, 'POST', '/auth/mfa/totp/setup', { bearer: access_token });
    const right = totpCode(setup.body.secret, clock.now());
    const wrong = right === '000000' ? '111111' : '000000';
    const bad = await call(server.url, 'POST', '/auth/mfa/totp/enable', { bearer: access_token, body: { code: wrong } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_mfa_code', error_description: expect.any(String) });
    const ok = await call(server.url, 'POST', '/auth/mfa/totp/enable', { bearer: access_token, body: { code: right } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.body.backup_codes).toHaveLength(10);
    expect(new Set(ok.body.backup_codes).size).toBe(10);
    for (const code of ok.body.backup_codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);

    const audit = await server.latchkey.stores.audit.query({ type: 'mfa_enabled', limit: 10 });
    expect(audit.events.some((e) => e.userId === user.id)).toBe(true);
    // A second setup while enabled would let a stolen session move the factor: refused.
    const again = await call(server.url, 'POST', '/auth/mfa/totp/setup', { bearer: access_token });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_request');
  });
});

describe('signing in with a second factor', () => {
  it('answers 401 mfa_required with an opaque token and no session, then completes with a TOTP code exactly like /auth/login', async () => {
    const { user, secret } = await enrolled('signin@example.com');
    const first = await login('signin@example.com');
    expect(first.status).toBe(401);
    expect(first.body).toEqual({
      error: 'mfa_required',
      error_description: expect.any(String),
      mfa_token: expect.stringMatching(/^lkmfa_[A-Za-z0-9_-]{43}$/),
    });
    expect(first.cookies).toEqual([]);
    // API.md: a response carrying a token is not stored.
    expect(first.headers.get('cache-control')).toBe('no-store');
    const sessionsBefore = await server.latchkey.stores.sessions.listActiveForUser(user.id, clock.now());

    const done = await loginMfa(first.body.mfa_token, totpCode(secret, clock.now()));
    expect(done.status).toBe(200);
    expect(done.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(done.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'session', 'token_type', 'user']);
    expect(done.body.user).toEqual({ id: user.id, email: 'signin@example.com', name: 'Test Person', roles: [], tenant_id: null });
    expect(done.body.refresh_token).toMatch(/^lkrt_/);
    const who = await call(server.url, 'GET', '/auth/session', { bearer: done.body.access_token });
    expect(who.status).toBe(200);
    expect(who.body.session.id).toBe(done.body.session.id);
    const sessionsAfter = await server.latchkey.stores.sessions.listActiveForUser(user.id, clock.now());
    expect(sessionsAfter.length).toBe(sessionsBefore.length + 1);

    // The token is single-use.
    nextStep();
    const replay = await loginMfa(first.body.mfa_token, totpCode(secret, clock.now()));
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_mfa_code');
  });

  it('delivers the transport and "keep me signed in" chosen at the password step (cookie, extended)', async () => {
    const { secret } = await enrolled('cookie-mfa@example.com');
    const token = await mfaToken('cookie-mfa@example.com', { transport: 'cookie', remember: true });
    const jar = new CookieJar();
    const done = await loginMfa(token, totpCode(secret, clock.now()), jar);
    expect(done.status).toBe(200);
    expect(Object.keys(done.body).sort()).toEqual(['csrfToken', 'session', 'user']);
    expect(done.body.session.type).toBe('extended');
    expect(jar.get('__Host-lk_at')).toBeTruthy();
    expect(jar.get('__Secure-lk_rt')).toMatch(/^lkrt_/);
    expect(jar.get('__Host-lk_csrf')).toBe(done.body.csrfToken);
    expect(done.cookies.find((c) => c.name === '__Secure-lk_rt')?.attributes['max-age']).toBeDefined();
  });

  it('never accepts one TOTP code twice, even on a fresh sign-in', async () => {
    const { secret } = await enrolled('replay@example.com');
    const code = totpCode(secret, clock.now());
    expect((await loginMfa(await mfaToken('replay@example.com'), code)).status).toBe(200);
    const again = await loginMfa(await mfaToken('replay@example.com'), code);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_mfa_code');
  });

  it('accepts a code one step either side, not two', async () => {
    const { secret } = await enrolled('window@example.com');
    const token = await mfaToken('window@example.com');
    const twoBack = totpCode(secret, clock.now() - 60_000);
    const twoAhead = totpCode(secret, clock.now() + 60_000);
    expect((await loginMfa(token, twoBack)).status).toBe(401);
    expect((await loginMfa(token, twoAhead)).status).toBe(401);
    expect((await loginMfa(token, totpCode(secret, clock.now() + 30_000))).status).toBe(200);
    // The step after next was used: the current step's code is now in the past and refused.
    nextStep();
    nextStep();
    const behind = await loginMfa(await mfaToken('window@example.com'), totpCode(secret, clock.now() - 30_000));
    expect(behind.status).toBe(401);
    nextStep();
    expect((await loginMfa(await mfaToken('window@example.com'), totpCode(secret, clock.now() - 30_000))).status).toBe(200);
  });

  it('takes each backup code once, in any case and with or without the dash', async () => {
    const { backupCodes } = await enrolled('backup@example.com');
    const [a, b] = backupCodes as [string, string];
    expect((await loginMfa(await mfaToken('backup@example.com'), a)).status).toBe(200);
    const reused = await loginMfa(await mfaToken('backup@example.com'), a);
    expect(reused.status).toBe(401);
    expect(reused.body.error).toBe('invalid_mfa_code');
    expect((await loginMfa(await mfaToken('backup@example.com'), b.replace('-', '').toUpperCase())).status).toBe(200);
  });

  it('lets an mfa_token expire after five minutes', async () => {
    const { secret } = await enrolled('expiry@example.com');
    const token = await mfaToken('expiry@example.com');
    clock.advance(5 * 60_000);
    const res = await loginMfa(token, totpCode(secret, clock.now()));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_mfa_code');
  });

  it('locks one pending sign-in after five wrong codes with 429 and Retry-After, even for the right code', async () => {
    const { secret } = await enrolled('guess@example.com');
    const token = await mfaToken('guess@example.com');
    const right = totpCode(secret, clock.now());
    const wrong = right === '999999' ? '888888' : '999999';
    for (let i = 0; i < 5; i++) {
      const res = await loginMfa(token, wrong);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_mfa_code');
    }
    const locked = await loginMfa(token, right);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('rate_limited');
    expect(locked.headers.get('retry-after')).toBe('60');
  });

  it("locks the account's codes after ten wrong ones across pending sign-ins", async () => {
    const { secret } = await enrolled('spread@example.com');
    const right = () => totpCode(secret, clock.now());
    for (let round = 0; round < 2; round++) {
      const token = await mfaToken('spread@example.com');
      for (let i = 0; i < 5; i++) expect((await loginMfa(token, right() === '123123' ? '321321' : '123123')).status).toBe(401);
    }
    const fresh = await mfaToken('spread@example.com');
    const res = await loginMfa(fresh, right());
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(61_000);
    expect((await loginMfa(await mfaToken('spread@example.com'), right())).status).toBe(200);
  });

  it('lets exactly one of ten concurrent sign-ins use the same code', async () => {
    const { secret } = await enrolled('race@example.com');
    const tokens = await Promise.all(Array.from({ length: 10 }, () => mfaToken('race@example.com')));
    const code = totpCode(secret, clock.now());
    const results = await Promise.all(tokens.map((t) => loginMfa(t, code)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 && r.body.error === 'invalid_mfa_code')).toHaveLength(9);
  });

  it('refuses malformed and unknown mfa tokens with 401 invalid_mfa_code and bad bodies with 400', async () => {
    expect((await loginMfa('lkmfa_' + 'A'.repeat(43), '123456')).body.error).toBe('invalid_mfa_code');
    expect((await loginMfa('nope', '123456')).status).toBe(401);
    const typed = await call(server.url, 'POST', '/auth/login/mfa', { body: { mfa_token: 12345, code: 123456 } });
    expect(typed.status).toBe(400);
    expect(typed.body.error).toBe('invalid_request');
  });

  it('refuses a blocked account at the code step with 403 account_blocked', async () => {
    const { user, secret } = await enrolled('blocked-mfa@example.com');
    const token = await mfaToken('blocked-mfa@example.com');
    await server.latchkey.stores.users.setStatus(user.id, 'blocked', clock.now());
    const res = await loginMfa(token, totpCode(secret, clock.now()));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('account_blocked');
  });
});

describe('disabling TOTP', () => {
  it('needs a valid code (400 invalid_mfa_code otherwise), then sign-in needs only the password again', async () => {
    const { user, secret, access_token } = await enrolled('disable@example.com');
    const bad = await call(server.url, 'POST', '/auth/mfa/totp/disable', { bearer: access_token, body: { code: 'zzzzz-zzzzz' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_mfa_code');
    const ok = await call(server.url, 'POST', '/auth/mfa/totp/disable', {
      bearer: access_token,
      body: { code: totpCode(secret, clock.now()) },
    });
    expect(ok.status).toBe(204);
    expect((await login('disable@example.com')).status).toBe(200);
    expect(await server.latchkey.stores.mfa.findTotp(user.id)).toBeNull();
    const audit = await server.latchkey.stores.audit.query({ userId: user.id, limit: 50 });
    expect(audit.events.map((e) => e.type)).toEqual(expect.arrayContaining(['mfa_enabled', 'mfa_disabled']));
    expect(audit.events.find((e) => e.type === 'mfa_disabled')?.severity).toBe('warning');
  });

  it('accepts a backup code to disable', async () => {
    const { backupCodes, access_token } = await enrolled('disable-backup@example.com');
    const ok = await call(server.url, 'POST', '/auth/mfa/totp/disable', { bearer: access_token, body: { code: backupCodes[9] } });
    expect(ok.status).toBe(204);
  });
});
