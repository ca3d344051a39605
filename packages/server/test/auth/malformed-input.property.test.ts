/**
 * API.md "Conventions": nothing malformed may produce a 5xx, and every error is the
 * contract's JSON. fast-check throws arbitrary JSON values, strings and byte sequences,
 * under arbitrary content types, at every JSON endpoint of the account half, on a real
 * server with real argon2 (hence the modest run counts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, PASSWORD, registerAccount, uniqueEmail } from './accounts.js';

const RUNS = 120;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ERROR_EXTRAS = new Set(['reason', 'mfa_token']);

let server: TestServer;
/** Module-level so the arbitraries below can name it. */
const knownEmail = uniqueEmail('known');
/** A live bearer session for the authenticated endpoints; renewed when a run ends it. */
let live: { access_token: string; session: { id: string } };
let sessionOwner: string;

beforeAll(async () => {
  // A high failure limit keeps the back-off out of the way of the fixture logins.
  server = await startTestServer({ LATCHKEY_LOGIN_MAX_FAILURES: '1000' });
  await registerAccount(server.url, knownEmail);
  sessionOwner = uniqueEmail('owner');
  await registerAccount(server.url, sessionOwner);
  live = await bearerLogin(server.url, sessionOwner);
});
afterAll(() => server.close());

/** Visible ASCII and space: what a header value can carry through fetch. */
const headerChar = fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) });
const headerValue = (maxLength: number) => fc.string({ unit: headerChar, maxLength }).filter((s) => s === s.trim());

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;',
      'application/json; foo',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----x',
      'application/merge-patch+json',
      '*/*',
      ';',
      '',
    ),
  },
  { weight: 1, arbitrary: headerValue(60) },
  { weight: 1, arbitrary: headerValue(30).map((s) => `application/json; ${s}`) },
);

/** Near-valid objects reach deeper than noise: right keys, any values. */
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 300 }));
const shaped = fc.record(
  {
    email: fc.oneof(fc.emailAddress(), fc.constant(knownEmail), fc.constant(` ${knownEmail.toUpperCase()} `), anyValue),
    password: fc.oneof(fc.constant(PASSWORD), fc.string({ unit: 'binary', minLength: 0, maxLength: 300 }), anyValue),
    name: fc.oneof(fc.string({ maxLength: 120 }), anyValue),
    remember: fc.oneof(fc.boolean(), anyValue),
    transport: fc.oneof(fc.constantFrom('cookie', 'bearer', 'jwt'), anyValue),
    refresh_token: fc.oneof(
      fc.string({ maxLength: 60 }).map((s) => `lkrt_${s}`),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);

type Body = string | Uint8Array | undefined;
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(undefined, '') },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v)) },
  // Prototype-poisoning keys written literally (JSON.stringify drops a __proto__ property).
  { weight: 1, arbitrary: anyValue.map((v) => `{"__proto__":${JSON.stringify(v) ?? 'null'}}`) },
  { weight: 1, arbitrary: anyValue.map((v) => `{"constructor":{"prototype":${JSON.stringify(v) ?? 'null'}}}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 400 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) },
  // Past the 64 KiB limit.
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024 + 1, max: 80 * 1024 }).map((n) => `{"email":"${'a'.repeat(n)}"}`) },
);

const requestId = fc.option(headerValue(140), { nil: undefined });

interface Probe {
  method: string;
  path: string;
  bearer?: string;
}

async function send(probe: Probe, type: string | undefined, payload: Body, id: string | undefined) {
  const headers: Record<string, string> = {};
  if (type !== undefined) headers['content-type'] = type;
  if (id !== undefined) headers['x-request-id'] = id;
  if (probe.bearer) headers.authorization = `Bearer ${probe.bearer}`;
  const response = await fetch(server.url + probe.path, { method: probe.method, headers, body: payload });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Every answer: no 5xx; every 4xx is `{error, error_description}` JSON; the request id rule holds. */
function checkAnswer(answer: Awaited<ReturnType<typeof send>>, id: string | undefined, what: string): void {
  expect(answer.status, what).toBeLessThan(500);
  const echoed = answer.headers.get('x-request-id');
  if (id !== undefined && SANE_REQUEST_ID.test(id)) expect(echoed, what).toBe(id);
  else expect(echoed, what).toMatch(UUID);
  if (answer.status < 400) return;
  expect(answer.headers.get('content-type'), what).toMatch(/^application\/json/);
  const parsed = JSON.parse(answer.text) as Record<string, unknown>;
  expect(typeof parsed.error, what).toBe('string');
  expect(parsed.error, what).toMatch(/^[a-z_]+$/);
  expect(typeof parsed.error_description, what).toBe('string');
  for (const key of Object.keys(parsed)) {
    if (key !== 'error' && key !== 'error_description') expect(ERROR_EXTRAS.has(key), `${what}: extra key ${key}`).toBe(true);
  }
}

async function property(probe: () => Probe | Promise<Probe>, after?: (status: number) => Promise<void>) {
  await fc.assert(
    fc.asyncProperty(contentType, body, requestId, async (type, payload, id) => {
      const p = await probe();
      const answer = await send(p, type, payload, id);
      const shown = typeof payload === 'string' ? payload.slice(0, 200) : payload && `bytes(${payload.length})`;
      checkAnswer(answer, id, `${p.method} ${p.path} [${type}] ${JSON.stringify(shown)} -> ${answer.status} ${answer.text.slice(0, 200)}`);
      await after?.(answer.status);
    }),
    { numRuns: RUNS },
  );
}

describe('malformed input never yields a 5xx, and every 4xx has the contract shape', () => {
  it('POST /auth/register', () => property(() => ({ method: 'POST', path: '/auth/register' })));

  it('POST /auth/login', () => property(() => ({ method: 'POST', path: '/auth/login' })));

  it('POST /auth/refresh', () => property(() => ({ method: 'POST', path: '/auth/refresh' })));

  it('POST /auth/logout, with and without a live session', async () => {
    let authenticated = false;
    await property(
      () => {
        authenticated = !authenticated;
        return { method: 'POST', path: '/auth/logout', bearer: authenticated ? live.access_token : undefined };
      },
      async (status) => {
        if (status === 204) live = await bearerLogin(server.url, sessionOwner);
      },
    );
  });

  it('DELETE /auth/sessions/:id, for arbitrary ids and bodies', async () => {
    const ids = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 50 }),
      fc.uuid(),
      fc.constantFrom('..', '%', '%00', 'a/b', ''),
    );
    const sampled = fc.sample(ids, RUNS);
    let i = 0;
    await property(
      () => {
        const id = sampled[i++ % sampled.length]!;
        return { method: 'DELETE', path: `/auth/sessions/${encodeURIComponent(id)}`, bearer: live.access_token };
      },
      async (status) => {
        if (status === 204) live = await bearerLogin(server.url, sessionOwner);
      },
    );
  });

  it('POST /auth/refresh and /auth/logout with arbitrary Cookie and X-CSRF-Token headers', async () => {
    const cookieName = fc.constantFrom('__Secure-lk_rt', '__Host-lk_at', '__Host-lk_csrf', 'other');
    const cookie = fc.oneof(
      fc.array(fc.tuple(cookieName, headerValue(80)), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
      headerValue(200),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/auth/refresh', '/auth/logout'),
        cookie,
        fc.option(headerValue(80), { nil: undefined }),
        requestId,
        async (path, cookies, csrf, id) => {
          const headers: Record<string, string> = { cookie: cookies };
          if (csrf !== undefined) headers['x-csrf-token'] = csrf;
          if (id !== undefined) headers['x-request-id'] = id;
          const response = await fetch(server.url + path, { method: 'POST', headers });
          const answer = { status: response.status, headers: response.headers, text: await response.text() };
          checkAnswer(answer, id, `POST ${path} [${cookies}] [${csrf}] -> ${answer.status} ${answer.text.slice(0, 200)}`);
          expect([401, 403]).toContain(answer.status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('GET /auth/sessions with arbitrary Authorization headers', async () => {
    await fc.assert(
      fc.asyncProperty(headerValue(200), requestId, async (authorization, id) => {
        const headers: Record<string, string> = { authorization };
        if (id !== undefined) headers['x-request-id'] = id;
        const response = await fetch(`${server.url}/auth/sessions`, { headers });
        const answer = { status: response.status, headers: response.headers, text: await response.text() };
        checkAnswer(answer, id, `GET /auth/sessions [${authorization}] -> ${answer.status} ${answer.text.slice(0, 200)}`);
        expect(answer.status).toBe(401);
      }),
      { numRuns: RUNS },
    );
  });
});
