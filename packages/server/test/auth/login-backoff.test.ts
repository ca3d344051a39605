import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { contractError, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

const MAX_FAILURES = 3;

let proxied: TestServer; // believes X-Forwarded-For from 127.0.0.1
let direct: TestServer; // no trusted proxy: the socket address is the client
beforeAll(async () => {
  [proxied, direct] = await Promise.all([
    startTestServer({ LATCHKEY_LOGIN_MAX_FAILURES: String(MAX_FAILURES), LATCHKEY_TRUST_PROXY: '127.0.0.1' }),
    startTestServer({ LATCHKEY_LOGIN_MAX_FAILURES: String(MAX_FAILURES) }),
  ]);
});
afterAll(() => Promise.all([proxied.close(), direct.close()]));

/** `ip` goes in X-Forwarded-For; with `spoofAll`, in every other client-address header too. */
function login(server: TestServer, email: string, password: string, ip?: string, spoofAll = false) {
  const headers: Record<string, string> = ip ? { 'x-forwarded-for': ip } : {};
  if (ip && spoofAll) {
    Object.assign(headers, { 'x-real-ip': ip, forwarded: `for=${ip}`, 'x-client-ip': ip, 'true-client-ip': ip, 'cf-connecting-ip': ip });
  }
  return call(server.url, 'POST', '/auth/login', { body: { email, password, transport: 'bearer' }, headers });
}

async function fail(server: TestServer, email: string, times: number, ip?: string) {
  for (let i = 0; i < times; i++) {
    const res = await login(server, email, 'wrong password here', ip);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('invalid_credentials'));
  }
}

function expectLocked(res: Awaited<ReturnType<typeof login>>, retryAfter: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.body).toEqual(contractError('rate_limited'));
}

describe('login back-off', () => {
  it(`locks an account for one IP after LATCHKEY_LOGIN_MAX_FAILURES failures with 429 rate_limited and Retry-After: 60, even for the right password`, async () => {
    const email = uniqueEmail('lock');
    await registerAccount(proxied.url, email);
    await fail(proxied, email, MAX_FAILURES - 1, '198.51.100.1');
    expect((await login(proxied, email, PASSWORD, '198.51.100.1')).status).toBe(200); // one short: not locked
    await fail(proxied, email, MAX_FAILURES, '198.51.100.1');
    expectLocked(await login(proxied, email, 'wrong password here', '198.51.100.1'), 60);
    expectLocked(await login(proxied, email, PASSWORD, '198.51.100.1'), 60);
  });

  it('doubles the lock with each further failure and caps it at one hour', async () => {
    const email = uniqueEmail('double');
    await registerAccount(proxied.url, email);
    const ip = '198.51.100.2';
    await fail(proxied, email, MAX_FAILURES, ip);
    const expected = [60, 120, 240, 480, 960, 1920, 3600, 3600];
    for (const [i, seconds] of expected.entries()) {
      expectLocked(await login(proxied, email, PASSWORD, ip), seconds);
      proxied.clock.advance(seconds * 1000 - 1000);
      expectLocked(await login(proxied, email, PASSWORD, ip), 1); // still locked a second before the end
      proxied.clock.advance(1000);
      if (i < expected.length - 1) await fail(proxied, email, 1, ip); // past the lock: one more failure
    }
    // Past the last lock the right password works, and the counter starts over.
    expect((await login(proxied, email, PASSWORD, ip)).status).toBe(200);
    await fail(proxied, email, MAX_FAILURES - 1, ip);
    expect((await login(proxied, email, PASSWORD, ip)).status).toBe(200);
  });

  it('gives an unknown email the same answers as a known one', async () => {
    const known = uniqueEmail('known');
    await registerAccount(proxied.url, known);
    const unknown = uniqueEmail('unknown');
    const answers = [];
    for (const email of [known, unknown]) {
      const ip = email === known ? '198.51.100.3' : '198.51.100.4';
      const seen = [];
      for (let i = 0; i < MAX_FAILURES + 1; i++) {
        const res = await login(proxied, email, 'wrong password here', ip);
        seen.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body: res.body });
      }
      answers.push(seen);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.at(-1)).toEqual({ status: 429, retryAfter: '60', body: contractError('rate_limited') });
  });

  it('does not lock the account out for another IP', async () => {
    const email = uniqueEmail('elsewhere');
    await registerAccount(proxied.url, email);
    await fail(proxied, email, MAX_FAILURES, '203.0.113.66');
    expectLocked(await login(proxied, email, PASSWORD, '203.0.113.66'), 60);
    expect((await login(proxied, email, PASSWORD, '203.0.113.7')).status).toBe(200);
    // Nor another account for the attacker's IP.
    const other = uniqueEmail('bystander');
    await registerAccount(proxied.url, other);
    expect((await login(proxied, other, PASSWORD, '203.0.113.66')).status).toBe(200);
  });

  it('believes nothing from a spoofed X-Forwarded-For without LATCHKEY_TRUST_PROXY', async () => {
    const email = uniqueEmail('spoof');
    await registerAccount(direct.url, email);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await login(direct, email, 'wrong password here', `192.0.2.${i + 1}`, true);
      expect(res.status).toBe(401);
    }
    // Every attempt counted against the socket's address: a fresh forwarded address is still locked.
    expectLocked(await login(direct, email, PASSWORD, '192.0.2.200', true), 60);
    expectLocked(await login(direct, email, PASSWORD), 60);

    // And the sessions record the socket's address, not the forwarded one.
    const fresh = uniqueEmail('spoof-ip');
    await registerAccount(direct.url, fresh);
    const grant = await login(direct, fresh, PASSWORD, '192.0.2.9');
    const sessions = await call(direct.url, 'GET', '/auth/sessions', { bearer: grant.body.access_token });
    expect(sessions.body.sessions[0].ip).toBe('127.0.0.1');
  });

  it('believes only the hop the trusted proxy added, not addresses a client put in front of it', async () => {
    const email = uniqueEmail('prefix');
    await registerAccount(proxied.url, email);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await login(proxied, email, 'wrong password here', `10.0.0.${i + 1}, 203.0.113.80`);
      expect(res.status).toBe(401);
    }
    expectLocked(await login(proxied, email, PASSWORD, '10.9.9.9, 203.0.113.80'), 60);
    expectLocked(await login(proxied, email, PASSWORD, '203.0.113.80'), 60);
    expect((await login(proxied, email, PASSWORD, '203.0.113.80, 203.0.113.81')).status).toBe(200);
  });

  it('records the forwarded address when the proxy is trusted', async () => {
    const email = uniqueEmail('trusted');
    await registerAccount(proxied.url, email);
    const grant = await login(proxied, email, PASSWORD, '203.0.113.50');
    const sessions = await call(proxied.url, 'GET', '/auth/sessions', { bearer: grant.body.access_token });
    expect(sessions.body.sessions[0].ip).toBe('203.0.113.50');
  });

  it('resets the count on a success', async () => {
    const email = uniqueEmail('reset');
    await registerAccount(proxied.url, email);
    const ip = '198.51.100.9';
    await fail(proxied, email, MAX_FAILURES - 1, ip);
    expect((await login(proxied, email, PASSWORD, ip)).status).toBe(200);
    await fail(proxied, email, MAX_FAILURES - 1, ip);
    expect((await login(proxied, email, PASSWORD, ip)).status).toBe(200);
  });

  it('counts failures per account regardless of how the email is written', async () => {
    const email = uniqueEmail('casing');
    await registerAccount(proxied.url, email);
    const ip = '198.51.100.10';
    for (const variant of [email.toUpperCase(), ` ${email}`, email]) {
      expect((await login(proxied, variant, 'wrong password here', ip)).status).toBe(401);
    }
    expectLocked(await login(proxied, email, PASSWORD, ip), 60);
  });
});
