import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookNotifier, signWebhookBody } from '../../src/adapters/webhook.js';
import { auditEvent } from '../../src/core/audit/audit-event.js';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { PASSWORD, register } from './helpers.js';
import { startReceiver, type Delivery } from './receiver.js';

const SECRET = 'webhook-secret-webhook-secret-0123456789';
const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

let server: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  server = await startTestServer({
    LATCHKEY_WEBHOOK_URL: receiver.url,
    LATCHKEY_WEBHOOK_SECRET: SECRET,
    // Sign-ins below come "from" documentation addresses through the trusted loopback proxy.
    LATCHKEY_TRUST_PROXY: '127.0.0.1',
  });
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const login = (email: string, ip: string, userAgent: string, password = PASSWORD) =>
  call(server.url, 'POST', '/auth/login', {
    body: { email, password, transport: 'bearer' },
    headers: { 'x-forwarded-for': ip, 'user-agent': userAgent },
  });

/** Checks the signature header the way a receiver should: HMAC-SHA256 over "<t>.<body>". */
function verifySignature(delivery: Delivery): boolean {
  const header = String(delivery.headers['x-latchkey-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${delivery.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

async function metric(name: string, labels: string): Promise<number> {
  const text = (await call(server.url, 'GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const alertsOf = (type: string) => receiver.deliveries.filter((d) => d.json.type === type);

describe('a sign-in from a device never seen for the user', () => {
  it('is recorded as new_device_login (warning), counted, and sent signed to the webhook', async () => {
    const user = await register(server, 'traveller@example.com');
    expect((await login('traveller@example.com', '198.51.100.7', CHROME_LINUX)).status).toBe(200); // first ever: nothing to compare
    expect((await login('traveller@example.com', '198.51.100.7', CHROME_LINUX)).status).toBe(200);
    expect((await login('traveller@example.com', '198.51.100.200', FIREFOX_WINDOWS)).status).toBe(200); // new browser, known /24
    expect((await login('traveller@example.com', '203.0.113.9', FIREFOX_WINDOWS)).status).toBe(200); // known browser, new network
    let events = (await server.latchkey.stores.audit.query({ userId: user.id, type: 'new_device_login', limit: 10 })).events;
    expect(events).toEqual([]);

    const before = await metric('latchkey_security_alerts_total', 'type="new_device_login",severity="warning"');
    const res = await login('traveller@example.com', '192.0.2.44', SAFARI_IPHONE); // both new
    expect(res.status).toBe(200);
    events = (await server.latchkey.stores.audit.query({ userId: user.id, type: 'new_device_login', limit: 10 })).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      severity: 'warning',
      ip: '192.0.2.44',
      userAgent: SAFARI_IPHONE,
      sessionId: res.body.session.id,
      data: { device: 'Safari on iPhone', network: '192.0.2.0/24' },
    });
    expect(await metric('latchkey_security_alerts_total', 'type="new_device_login",severity="warning"')).toBe(before + 1);

    const [delivery] = await receiver.waitFor(() => alertsOf('new_device_login').length === 1).then(() => alertsOf('new_device_login'));
    expect(verifySignature(delivery!)).toBe(true);
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['x-latchkey-event']).toBe('new_device_login');
    expect(delivery!.json).toEqual({
      id: delivery!.headers['x-latchkey-delivery'],
      type: 'new_device_login',
      severity: 'warning',
      at: expect.stringMatching(/Z$/),
      userId: user.id,
      sessionId: res.body.session.id,
      ip: '192.0.2.44',
      userAgent: SAFARI_IPHONE,
      requestId: expect.any(String),
      data: { device: 'Safari on iPhone', network: '192.0.2.0/24' },
    });
    // The same device again is known now.
    expect((await login('traveller@example.com', '192.0.2.45', SAFARI_IPHONE)).status).toBe(200);
    expect((await server.latchkey.stores.audit.query({ userId: user.id, type: 'new_device_login', limit: 10 })).events).toHaveLength(1);
  });
});

describe('failures across many accounts from one IP (credential stuffing)', () => {
  it('fires credential_stuffing_suspected (critical) once, at the tenth distinct account, and not for one account failing often', async () => {
    const agent = 'python-requests/2.32';
    // One person mistyping their own password many times is not stuffing.
    await register(server, 'clumsy@example.com');
    for (let i = 0; i < 12; i++) await login('clumsy@example.com', '203.0.113.50', agent, `wrong ${i} password`);
    expect((await server.latchkey.stores.audit.query({ type: 'credential_stuffing_suspected', limit: 10 })).events).toEqual([]);

    for (let i = 0; i < 9; i++) expect((await login(`victim${i}@example.com`, '203.0.113.66', agent, 'hunter2hunter2')).status).toBe(401);
    expect((await server.latchkey.stores.audit.query({ type: 'credential_stuffing_suspected', limit: 10 })).events).toEqual([]);
    expect((await login('victim9@example.com', '203.0.113.66', agent, 'hunter2hunter2')).status).toBe(401);
    for (let i = 10; i < 15; i++) await login(`victim${i}@example.com`, '203.0.113.66', agent, 'hunter2hunter2');

    const events = (await server.latchkey.stores.audit.query({ type: 'credential_stuffing_suspected', limit: 10 })).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: 'critical', ip: '203.0.113.66', userId: null, data: { accounts: 10, windowSeconds: 600 } });
    expect(await metric('latchkey_security_alerts_total', 'type="credential_stuffing_suspected",severity="critical"')).toBe(1);
    await receiver.waitFor(() => alertsOf('credential_stuffing_suspected').length === 1);
    expect(verifySignature(alertsOf('credential_stuffing_suspected')[0]!)).toBe(true);

    // After the window drains, a new burst is a new alert.
    server.clock.advance(10 * 60_000 + 1);
    for (let i = 0; i < 10; i++) await login(`later${i}@example.com`, '203.0.113.66', agent, 'hunter2hunter2');
    expect((await server.latchkey.stores.audit.query({ type: 'credential_stuffing_suspected', limit: 10 })).events).toHaveLength(2);
  });
});

describe('refresh-token reuse', () => {
  it('reaches the metric and the webhook as a critical alert', async () => {
    await register(server, 'reused@example.com');
    const first = (await login('reused@example.com', '198.51.100.7', CHROME_LINUX)).body;
    const rotate = (token: string) => call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });
    const next = await rotate(first.refresh_token);
    await rotate(next.body.refresh_token);
    const reuse = await rotate(first.refresh_token);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    expect(await metric('latchkey_security_alerts_total', 'type="refresh_token_reuse",severity="critical"')).toBe(1);
    await receiver.waitFor(() => alertsOf('refresh_token_reuse').length === 1);
    const delivery = alertsOf('refresh_token_reuse')[0]!;
    expect(verifySignature(delivery)).toBe(true);
    expect(delivery.json).toMatchObject({ severity: 'critical', sessionId: first.session.id, data: { reason: 'reuse_detected' } });
  });

  it('sends ordinary events (sign-ins, refreshes) nowhere', () => {
    expect(
      receiver.deliveries
        .map((d) => d.json.type)
        .filter((t) => !['new_device_login', 'credential_stuffing_suspected', 'refresh_token_reuse'].includes(t)),
    ).toEqual([]);
  });
});

describe('the webhook sender', () => {
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  const event = auditEvent('refresh_token_reuse', { ip: '192.0.2.1', userAgent: 'x', requestId: 'r1' }, Date.now(), {
    userId: 'u1',
    sessionId: 's1',
    data: { reason: 'reuse_detected' },
  });

  it('retries failures with back-off, re-signing each attempt, until the receiver accepts', async () => {
    const flaky = await startReceiver((n) => (n <= 2 ? 503 : 204));
    const notifier = createWebhookNotifier({ url: flaky.url, secret: SECRET, logger, accept: () => true, baseDelayMs: 40 });
    try {
      notifier.notify(event);
      await notifier.idle();
      expect(flaky.deliveries).toHaveLength(3);
      expect(new Set(flaky.deliveries.map((d) => d.headers['x-latchkey-delivery'])).size).toBe(1);
      expect(new Set(flaky.deliveries.map((d) => d.body)).size).toBe(1);
      for (const d of flaky.deliveries) expect(verifySignature(d)).toBe(true);
    } finally {
      await notifier.close();
      await flaky.close();
    }
  });

  it('gives up after the last attempt, and does not retry a 4xx refusal', async () => {
    const down = await startReceiver(() => 500);
    const refusing = await startReceiver(() => 400);
    const a = createWebhookNotifier({ url: down.url, secret: SECRET, logger, accept: () => true, baseDelayMs: 10, maxAttempts: 4 });
    const b = createWebhookNotifier({ url: refusing.url, secret: SECRET, logger, accept: () => true, baseDelayMs: 10 });
    try {
      a.notify(event);
      b.notify(event);
      await Promise.all([a.idle(), b.idle()]);
      expect(down.deliveries).toHaveLength(4);
      expect(refusing.deliveries).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close(), down.close(), refusing.close()]);
    }
  });

  it('never holds up the request that raised the alert', async () => {
    const stuck = await startReceiver(() => null);
    const own = await startTestServer({ LATCHKEY_WEBHOOK_URL: stuck.url, LATCHKEY_WEBHOOK_SECRET: SECRET });
    try {
      await register(own, 'stuck@example.com');
      const first = (
        await call(own.url, 'POST', '/auth/login', { body: { email: 'stuck@example.com', password: PASSWORD, transport: 'bearer' } })
      ).body;
      const rotate = (token: string) => call(own.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });
      await rotate((await rotate(first.refresh_token)).body.refresh_token);
      const reuse = await rotate(first.refresh_token);
      expect(reuse.status).toBe(401);
      // The alert is still waiting on the receiver, which has not answered, yet the request finished.
      await stuck.waitFor((d) => d.length === 1);
      expect(stuck.deliveries[0]!.json.type).toBe('refresh_token_reuse');
    } finally {
      stuck.release();
      await own.close();
      await stuck.close();
    }
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    expect(signWebhookBody('k', 1700000000, '{"a":1}')).toBe(
      `t=1700000000,v1=${createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex')}`,
    );
  });
});
