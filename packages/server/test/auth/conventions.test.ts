import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, contractError, cookieLogin, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: TestServer;
let email: string;
beforeAll(async () => {
  server = await startTestServer();
  email = uniqueEmail('conventions');
  await registerAccount(server.url, email);
});
afterAll(() => server.close());

/** A raw request, so the content type and body bytes are exactly what the test says. */
async function raw(method: string, path: string, init: { headers?: Record<string, string>; body?: string | Uint8Array } = {}) {
  const response = await fetch(server.url + path, { method, headers: init.headers, body: init.body });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: response.status, headers: response.headers, body };
}

describe('X-Request-ID', () => {
  const sane = ['abc', 'req-42', 'a.b:c_d-e', 'A'.repeat(128), '0'];
  const insane = ['A'.repeat(129), 'has space', 'semi;colon', 'slash/es', 'quote"', 'ünïcode', 'tab\there'];
  // One success, one 4xx from the core, one from the framework, one unknown route.
  const requests: Array<[string, string, Record<string, unknown>]> = [
    ['GET', '/healthz', {}],
    ['GET', '/auth/session', {}],
    ['POST', '/auth/login', { body: '{not json', headers: { 'content-type': 'application/json' } }],
    ['GET', '/no/such/route', {}],
  ];

  it('echoes a sane caller value on success and error responses alike', async () => {
    for (const id of sane) {
      for (const [method, path, init] of requests) {
        const res = await raw(method, path, { ...init, headers: { ...(init.headers as object), 'x-request-id': id } });
        expect(res.headers.get('x-request-id'), `${method} ${path} ${id}`).toBe(id);
      }
    }
  });

  it('replaces an absent, empty or unsafe value with a fresh UUID', async () => {
    const seen = new Set<string>();
    for (const id of [undefined, '', ...insane]) {
      for (const [method, path, init] of requests) {
        const headers: Record<string, string> = { ...(init.headers as object) };
        if (id !== undefined) headers['x-request-id'] = id;
        const res = await raw(method, path, { ...init, headers });
        const echoed = res.headers.get('x-request-id')!;
        expect(echoed, `${method} ${path} ${JSON.stringify(id)}`).toMatch(UUID);
        seen.add(echoed);
      }
    }
    expect(seen.size).toBe((insane.length + 2) * requests.length);
  });

  it('records the request id on the audit event of the request', async () => {
    const res = await call(server.url, 'POST', '/auth/login', {
      body: { email, password: PASSWORD, transport: 'bearer' },
      headers: { 'x-request-id': 'trace-me-123' },
    });
    expect(res.status).toBe(200);
    const { events } = await server.latchkey.stores.audit.query({ type: 'login_succeeded', userId: res.body.user.id, limit: 5 });
    expect(events[0]!.requestId).toBe('trace-me-123');
  });
});

describe('security headers', () => {
  it('are on every response: success, core and framework errors, unknown routes, pages', async () => {
    const expected = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
    };
    const requests: Array<[string, string, Record<string, unknown>]> = [
      ['GET', '/healthz', {}],
      ['GET', '/auth/session', {}],
      ['POST', '/auth/login', { body: '{not json', headers: { 'content-type': 'application/json' } }],
      ['GET', '/no/such/route', {}],
      ['GET', '/login', {}],
    ];
    for (const [method, path, init] of requests) {
      const res = await raw(method, path, init);
      for (const [name, value] of Object.entries(expected)) expect(res.headers.get(name), `${method} ${path} ${name}`).toBe(value);
    }
  });
});

describe('content types', () => {
  const good = () => JSON.stringify({ email: uniqueEmail('ct'), password: PASSWORD, name: 'Content Type' });

  it('accepts application/json with or without a charset', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const res = await raw('POST', '/auth/register', { headers: { 'content-type': type }, body: good() });
      expect(res.status, type).toBe(201);
    }
  });

  it('refuses other content types, text/plain included, with 415 or 400 and the contract body', async () => {
    const types = [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'text/json',
      'application/jsonp',
      'application/octet-stream',
    ];
    for (const path of ['/auth/register', '/auth/login', '/auth/refresh']) {
      for (const type of types) {
        const res = await raw('POST', path, { headers: { 'content-type': type }, body: good() });
        expect([400, 415], `${path} ${type}`).toContain(res.status);
        expect(res.body).toEqual(contractError(res.status === 415 ? expect.any(String) : 'invalid_request'));
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      }
    }
  });

  it('refuses a JSON body sent without a content type', async () => {
    const res = await raw('POST', '/auth/register', { body: good() });
    expect([400, 415]).toContain(res.status);
    expect(res.body).toEqual(contractError(expect.any(String)));
  });
});

describe('malformed and oversized bodies', () => {
  it('answers malformed JSON with 400 invalid_request', async () => {
    const bodies = ['{', '{"email":', "{'email':'a'}", 'nul', '{"a":1}}', '\u0000', '[1,]', '{"email":"a@b.c",}', '""'];
    for (const path of ['/auth/register', '/auth/login', '/auth/refresh']) {
      for (const body of bodies) {
        const res = await raw('POST', path, { headers: { 'content-type': 'application/json' }, body });
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body).toEqual(contractError('invalid_request'));
      }
    }
  });

  it('refuses prototype-poisoning keys with 400 invalid_request', async () => {
    for (const body of ['{"__proto__":{"roles":["admin"]}}', '{"constructor":{"prototype":{"roles":["admin"]}}}']) {
      const res = await raw('POST', '/auth/register', { headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
    }
  });

  it('refuses a body over 64 KiB with 413 or 400 and the contract body, and accepts one just under', async () => {
    const padded = (size: number) => {
      const base = JSON.stringify({ email: uniqueEmail('big'), password: PASSWORD, name: 'Big', padding: '' });
      return base.replace('"padding":""', `"padding":"${'x'.repeat(size - base.length)}"`);
    };
    const under = padded(64 * 1024 - 1);
    expect(Buffer.byteLength(under)).toBe(64 * 1024 - 1);
    expect((await raw('POST', '/auth/register', { headers: { 'content-type': 'application/json' }, body: under })).status).toBe(201);

    for (const size of [64 * 1024 + 1, 1024 * 1024]) {
      const res = await raw('POST', '/auth/register', { headers: { 'content-type': 'application/json' }, body: padded(size) });
      expect([400, 413], String(size)).toContain(res.status);
      expect(res.body).toEqual(contractError('invalid_request'));
    }
    // Without a Content-Length (chunked), the limit still holds.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(padded(200 * 1024)));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect([400, 413]).toContain(response.status);
    expect(await response.json()).toEqual(contractError('invalid_request'));
  });

  it('needs no Content-Type for an empty-bodied logout or refresh', async () => {
    const { jar } = await cookieLogin(server.url, email);
    expect((await call(server.url, 'POST', '/auth/refresh', { jar, csrf: true })).status).toBe(200);
    expect((await call(server.url, 'POST', '/auth/logout', { jar, csrf: true })).status).toBe(204);
    const grant = await bearerLogin(server.url, email);
    expect((await raw('POST', '/auth/logout', { headers: { authorization: `Bearer ${grant.access_token}` } })).status).toBe(204);
    const other = await bearerLogin(server.url, email);
    const empty = await raw('POST', '/auth/logout-all', {
      headers: { authorization: `Bearer ${other.access_token}`, 'content-type': 'application/json' },
      body: '',
    });
    expect(empty.status).toBe(204);
  });

  it('takes an empty body whatever Content-Type it names (fetch with body "" sends text/plain), CSRF still required', async () => {
    const { jar } = await cookieLogin(server.url, email);
    const headers = { cookie: jar.header('/auth/refresh'), 'content-type': 'text/plain;charset=UTF-8' };
    expect((await raw('POST', '/auth/refresh', { headers, body: '' })).status).toBe(403);
    const csrf = { 'x-csrf-token': jar.get('__Host-lk_csrf')! };
    expect((await raw('POST', '/auth/refresh', { headers: { ...headers, ...csrf }, body: '' })).status).toBe(200);
    const grant = await bearerLogin(server.url, email);
    const logout = await raw('POST', '/auth/logout', {
      headers: { authorization: `Bearer ${grant.access_token}`, 'content-type': 'application/octet-stream' },
      body: '',
    });
    expect(logout.status).toBe(204);
    // A body that is not JSON is still refused.
    const other = await bearerLogin(server.url, email);
    const text = await raw('POST', '/auth/logout', {
      headers: { authorization: `Bearer ${other.access_token}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    expect(text.body).toEqual(contractError('invalid_request'));
  });
});

describe('requests refused before routing', () => {
  it('answers a URL that is not valid percent-encoding with 400 invalid_request and the caller’s X-Request-ID', async () => {
    for (const [method, path] of [
      ['DELETE', '/auth/sessions/%'],
      ['DELETE', '/auth/sessions/%E0%A4%A'],
      ['GET', '/%zz'],
    ] as const) {
      const res = await raw(method, path, { headers: { 'x-request-id': 'bad-url-1' } });
      expect(res.status, path).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
      expect(res.headers.get('x-request-id')).toBe('bad-url-1');
    }
  });

  it('answers an over-long path parameter with 400 invalid_request in the contract format', async () => {
    const res = await raw('DELETE', `/auth/sessions/${'a'.repeat(300)}`, { headers: { 'x-request-id': 'long-param' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(contractError('invalid_request'));
    expect(res.headers.get('x-request-id')).toBe('long-param');
  });

  it('answers headers too large for the HTTP parser with 431 in the contract format and a fresh X-Request-ID', async () => {
    const res = await raw('GET', '/healthz', { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.body).toEqual(contractError('invalid_request'));
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('unknown routes', () => {
  it('answers 404 not_found in the contract format, never HTML', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/auth/nope'],
      ['GET', '/auth/register'],
      ['PUT', '/auth/session'],
      ['GET', '/auth/sessions/x/y'],
    ] as const) {
      const res = await raw(method, path, { headers: { accept: 'text/html' } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toEqual(contractError('not_found'));
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});

describe('authenticated endpoints', () => {
  it('answer a caller without credentials 401 before they look at the body', async () => {
    for (const [method, path, body] of [
      ['POST', '/auth/password', {}],
      ['POST', '/auth/password', { currentPassword: 1, newPassword: ['x'] }],
      ['POST', '/auth/mfa/totp/enable', { code: 123456 }],
      ['POST', '/auth/mfa/totp/disable', {}],
    ] as const) {
      const res = await call(server.url, method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body).toEqual(contractError('unauthorized'));
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });
});
