import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The value of one sample line of the Prometheus text format, e.g. `latchkey_logins_total{outcome="success"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts logins by outcome, refreshes, reuse, revocations, active sessions, durations, remember-me share and latency', async () => {
    const email = uniqueEmail('metrics');
    await registerAccount(server.url, email);
    const standard = await bearerLogin(server.url, email);
    await bearerLogin(server.url, email, { remember: true });
    await bearerLogin(server.url, email, { remember: true });
    expect((await call(server.url, 'POST', '/auth/login', { body: { email, password: 'wrong password here' } })).status).toBe(401);

    const reused = await bearerLogin(server.url, email);
    const first = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: reused.refresh_token } });
    await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: first.body.refresh_token } });
    server.clock.advance(90_000);
    const reuse = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: reused.refresh_token } });
    expect(reuse.body.reason).toBe('reuse_detected');
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: standard.access_token })).status).toBe(204);

    server.clock.advance(2000); // past the gauge's one-second cache
    const res = await call(server.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = res.body as string;

    expect(sample(text, 'latchkey_logins_total{outcome="success"}')).toBe(4);
    expect(sample(text, 'latchkey_logins_total{outcome="invalid_credentials"}')).toBe(1);
    expect(sample(text, 'latchkey_refreshes_total')).toBe(2);
    expect(sample(text, 'latchkey_refresh_token_reuse_total')).toBe(1);
    expect(sample(text, 'latchkey_revocations_total{reason="reuse_detected"}')).toBe(1);
    expect(sample(text, 'latchkey_revocations_total{reason="logout"}')).toBe(1);
    expect(sample(text, 'latchkey_active_sessions{type="standard"}')).toBe(0);
    expect(sample(text, 'latchkey_active_sessions{type="extended"}')).toBe(2);
    expect(sample(text, 'latchkey_remember_me_share')).toBe(1);
    expect(sample(text, 'latchkey_session_duration_seconds_count')).toBe(2);
    expect(sample(text, 'latchkey_session_duration_seconds_bucket{le="60"}')).toBe(0);
    expect(sample(text, 'latchkey_session_duration_seconds_bucket{le="300"}')).toBe(2);
    expect(text).toMatch(/^# TYPE latchkey_session_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE latchkey_http_request_duration_seconds histogram$/m);
    expect(sample(text, 'latchkey_http_request_duration_seconds_count{method="POST",route="/auth/login",status="200"}')).toBe(4);
    expect(sample(text, 'latchkey_http_request_duration_seconds_count{method="POST",route="/auth/login",status="401"}')).toBe(1);
  });

  it('counts a locked-out attempt as a rate_limited login', async () => {
    const custom = await startTestServer({ LATCHKEY_LOGIN_MAX_FAILURES: '1' });
    try {
      const email = uniqueEmail('limited');
      await registerAccount(custom.url, email);
      await call(custom.url, 'POST', '/auth/login', { body: { email, password: 'wrong password here' } });
      expect((await call(custom.url, 'POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(429);
      const text = (await call(custom.url, 'GET', '/metrics')).body as string;
      expect(sample(text, 'latchkey_logins_total{outcome="rate_limited"}')).toBe(1);
      expect(sample(text, 'latchkey_logins_total{outcome="invalid_credentials"}')).toBe(1);
    } finally {
      await custom.close();
    }
  });
});

describe('session duration histogram', () => {
  it('observes every session that logout-all ends, not only single sign-outs', async () => {
    const custom = await startTestServer();
    try {
      const email = uniqueEmail('durations');
      await registerAccount(custom.url, email);
      const first = await bearerLogin(custom.url, email);
      await bearerLogin(custom.url, email);
      await bearerLogin(custom.url, email);
      custom.clock.advance(600_000);
      expect((await call(custom.url, 'POST', '/auth/logout-all', { bearer: first.access_token })).status).toBe(204);
      const text = (await call(custom.url, 'GET', '/metrics')).body as string;
      expect(sample(text, 'latchkey_session_duration_seconds_count')).toBe(3);
      expect(sample(text, 'latchkey_session_duration_seconds_bucket{le="300"}')).toBe(0);
      expect(sample(text, 'latchkey_session_duration_seconds_bucket{le="900"}')).toBe(3);
      expect(sample(text, 'latchkey_revocations_total{reason="logout_all"}')).toBe(3);
    } finally {
      await custom.close();
    }
  });
});

describe('health, readiness and the API reference', () => {
  it('answers /healthz with 200 {"status":"ok"} and /readyz with 200', async () => {
    const health = await call(server.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await call(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
  });

  it('lists every /auth route of this issue in /openapi.json', async () => {
    const res = await call(server.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const expected: Array<[string, string]> = [
      ['/auth/register', 'post'],
      ['/auth/login', 'post'],
      ['/auth/refresh', 'post'],
      ['/auth/logout', 'post'],
      ['/auth/logout-all', 'post'],
      ['/auth/session', 'get'],
      ['/auth/sessions', 'get'],
      ['/auth/sessions/{id}', 'delete'],
    ];
    for (const [path, method] of expected) expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
    // Each documents its request body or its responses from a schema, not an empty stub.
    const login = paths['/auth/login']!.post as any;
    expect(Object.keys(login.requestBody.content['application/json'].schema.properties).sort()).toEqual([
      'email',
      'password',
      'remember',
      'transport',
    ]);
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
  });

  it('serves a browsable HTML reference at /docs', async () => {
    const response = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<html/i);
    expect(html).toMatch(/swagger/i);
  });
});
