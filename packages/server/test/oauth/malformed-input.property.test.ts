/**
 * Nothing malformed may produce a 5xx on the OAuth endpoints: fast-check throws
 * arbitrary form bodies, query strings, content types and Authorization headers at them.
 * Every JSON error has the RFC shape (`error` + `error_description`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, createClient, registerPerson } from './support.js';
import type { CookieJar } from '../support/client.js';

const RUNS = 150;
let server: TestServer;
let secret: string;
let jar: CookieJar;

beforeAll(async () => {
  server = await startTestServer();
  secret = (
    await createClient(server, {
      id: 'app',
      redirectUris: ['https://app.example/cb'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    })
  ).secret!;
  await createClient(server, { id: 'pub', public: true, redirectUris: ['http://127.0.0.1/cb'] });
  jar = await browserLogin(server, (await registerPerson(server)).email);
});
afterAll(() => server.close());

const NAMES = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'scope',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
  'response_type',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'request',
  'lk_login',
  'csrf_token',
  'decision',
  '__proto__',
  'constructor',
];
const VALUES = fc.oneof(
  fc.constantFrom(
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'app',
    'pub',
    'code',
    'S256',
    'plain',
    'none',
    'login consent',
    'https://app.example/cb',
    'http://127.0.0.1:99999/cb',
    'lkac_' + 'A'.repeat(43),
    'lkrt_' + 'A'.repeat(43),
    '-1',
    '1e9',
    'allow',
    '',
  ),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const form = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), VALUES), { maxLength: 8 });
const rawBody = fc.oneof(
  form.map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('%', '%zz=1', 'a=%E0%A4%A', '&&&=&=', 'grant_type=client_credentials&grant_type=refresh_token'),
);
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  undefined,
);
const headerChar = fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) });
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(`Basic ${Buffer.from('app:wrong').toString('base64')}`),
  // The right credentials, read when a run is generated (after beforeAll).
  fc.constant(null).map(() => `Basic ${Buffer.from(`app:${secret}`).toString('base64')}`),
  fc.string({ unit: headerChar, maxLength: 40 }).map((s) => `Basic ${s}`.trim()),
  fc.string({ unit: headerChar, maxLength: 40 }).map((s) => `Bearer ${s}`.trim()),
  fc.string({ unit: headerChar, maxLength: 40 }).map((s) => s.trim()),
);

function expectRfcShape(status: number, text: string, type: string | null) {
  expect(status, text).toBeLessThan(500);
  if (status >= 400 && type?.startsWith('application/json')) {
    const body = JSON.parse(text);
    expect(typeof body.error).toBe('string');
    expect(typeof body.error_description).toBe('string');
  }
}

describe('OAuth endpoints under arbitrary input', () => {
  it.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect', '/oauth2/consent', '/oauth2/authorize', '/oauth2/userinfo'])(
    'POST %s never answers 5xx',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(rawBody, contentType, authorization, fc.boolean(), async (body, type, auth, withCookies) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (auth) headers.authorization = auth;
          if (withCookies) headers.cookie = jar.header(path);
          const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
          expectRfcShape(res.status, await res.text(), res.headers.get('content-type'));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('GET /oauth2/authorize never answers 5xx and never redirects off the registered URI', async () => {
    await fc.assert(
      fc.asyncProperty(form, fc.boolean(), async (pairs, withCookies) => {
        const query = new URLSearchParams(pairs).toString();
        const res = await fetch(`${server.url}/oauth2/authorize?${query}`, {
          headers: { accept: 'application/json', ...(withCookies ? { cookie: jar.header('/oauth2/authorize') } : {}) },
          redirect: 'manual',
        });
        const text = await res.text();
        expectRfcShape(res.status, text, res.headers.get('content-type'));
        const location = res.headers.get('location');
        if (location !== null) {
          const target = new URL(location, server.url);
          const allowed =
            target.href.startsWith('https://app.example/cb?') ||
            /^http:\/\/127\.0\.0\.1(:\d+)?\/cb\?/.test(target.href) ||
            (target.origin === server.url && target.pathname === '/login');
          expect(allowed, location).toBe(true);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
