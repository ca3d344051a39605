import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

const lines: Array<Record<string, any>> = [];
let server: TestServer;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  server = await startTestServer({}, { logger: pino({ level: 'info' }, sink) });
});
afterAll(() => server.close());

describe('the access log', () => {
  it('writes one line per request, with the request id, the route outcome and no credential', async () => {
    const email = uniqueEmail('access-log');
    await registerAccount(server.url, email);
    lines.length = 0;
    const res = await call(server.url, 'POST', '/auth/login', {
      body: { email, password: PASSWORD, transport: 'bearer' },
      headers: { 'x-request-id': 'log-me-1' },
    });
    expect(res.status).toBe(200);
    await call(server.url, 'GET', '/auth/session', { bearer: res.body.access_token, headers: { 'x-request-id': 'log-me-2' } });
    await new Promise((resolve) => setTimeout(resolve, 50));

    for (const [id, method, url, status] of [
      ['log-me-1', 'POST', '/auth/login', 200],
      ['log-me-2', 'GET', '/auth/session', 200],
    ] as const) {
      const mine = lines.filter((line) => line.reqId === id && line.msg === 'request completed');
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ req: { method, url }, res: { statusCode: status }, ip: '127.0.0.1' });
      // The access line skips the redaction pass: it must never carry more than these fields.
      expect(Object.keys(mine[0]!)).toEqual(['level', 'time', 'pid', 'hostname', 'reqId', 'req', 'ip', 'res', 'responseTime', 'msg']);
      expect(Object.keys(mine[0]!.req)).toEqual(['method', 'url']);
      expect(typeof mine[0]!.responseTime).toBe('number');
    }
    // The audit line of the login carries the same id.
    expect(lines.some((line) => line.reqId === 'log-me-1' && line.msg !== 'request completed')).toBe(true);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(res.body.access_token);
    expect(text).not.toContain(res.body.refresh_token);
  });
});
