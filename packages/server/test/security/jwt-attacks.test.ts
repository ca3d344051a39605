import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, register } from './helpers.js';

/**
 * Each case presents a crafted access token to GET /auth/session and expects exactly the
 * RFC 6750 refusal: 401 unauthorized with `WWW-Authenticate: Bearer ... error="invalid_token"`.
 * Tokens signed with the server's real key show that the rule, not a bad signature,
 * is what refuses them; the control case proves such re-signed tokens work otherwise.
 */
let server: TestServer;
let claims: Record<string, unknown>;
let kid: string;
let realKey: KeyObject;
let publicPem: string;

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Compact JWS from raw JSON texts (so duplicate names survive), signed RS256 with `key`. */
function rs256(headerJson: string, payloadJson: string, key: KeyObject = realKey): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
function hs256(headerJson: string, payloadJson: string, secret: string | Buffer): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const header = (extra: Record<string, unknown> = {}) => JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid, ...extra });
const payload = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...claims, ...extra });
const nowSec = () => Math.floor(server.clock.now() / 1000);

async function present(token: string) {
  return call(server.url, 'GET', '/auth/session', { headers: { authorization: `Bearer ${token}` } });
}
async function expectRefused(token: string) {
  const res = await present(token);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'unauthorized', error_description: expect.any(String) });
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  return res;
}

beforeAll(async () => {
  server = await startTestServer();
  await register(server, 'jwt@example.com');
  const login = await bearerLogin(server, 'jwt@example.com');
  const [h, p] = login.access_token.split('.') as [string, string];
  claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  kid = JSON.parse(Buffer.from(h, 'base64url').toString()).kid;
  const signing = server.latchkey.deps.keyRing.signingKey();
  expect(signing.kid).toBe(kid);
  realKey = signing.key;
  publicPem = createPublicKey(realKey).export({ type: 'spki', format: 'pem' }).toString();
});
afterAll(() => server.close());

describe('JWT attacks on /auth/session', () => {
  it('(control) accepts a token re-signed with the real key and the real header', async () => {
    const res = await present(rs256(header(), payload({ jti: 'control' })));
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe('jwt@example.com');
  });

  it('refuses alg "none" in every spelling, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64(JSON.stringify({ alg, typ: 'at+jwt', kid }))}.${b64(payload())}`;
      await expectRefused(`${unsigned}.`);
      await expectRefused(`${unsigned}.${b64('sig')}`);
      await expectRefused(unsigned);
    }
  });

  it('refuses HS256 tokens keyed with the RSA public key (algorithm confusion)', async () => {
    const jwk = createPublicKey(realKey).export({ format: 'jwk' });
    for (const secret of [publicPem, publicPem.trim(), createPublicKey(realKey).export({ type: 'spki', format: 'der' }), String(jwk.n)]) {
      await expectRefused(hs256(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid }), payload(), secret));
    }
  });

  it('refuses kid values that try path traversal or SQL, and a missing kid', async () => {
    const injected = [
      '../../../../../../dev/null',
      '/dev/null',
      '../../../../etc/passwd',
      "' UNION SELECT 'secret' --",
      "x' OR '1'='1",
      '"; DROP TABLE signing_keys; --',
      `${kid}' --`,
      '',
    ];
    for (const k of injected) {
      await expectRefused(hs256(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: k }), payload(), ''));
      await expectRefused(hs256(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: k }), payload(), 'secret'));
      await expectRefused(rs256(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: k }), payload()));
    }
    await expectRefused(rs256(JSON.stringify({ alg: 'RS256', typ: 'at+jwt' }), payload()));
    await expectRefused(rs256(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 42 }), payload()));
    // The key table is intact: the real key still verifies.
    expect((await present(rs256(header(), payload({ jti: 'after-kid' })))).status).toBe(200);
  });

  it('refuses jku, x5u, jwk, x5c and crit headers even on a token the real key signed', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
    const cases: Array<Record<string, unknown>> = [
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { x5u: 'http://127.0.0.1:1/cert.pem' },
      { jwk: attackerJwk },
      { x5c: ['MIIB'] },
      { crit: ['exp'] },
    ];
    for (const extra of cases) await expectRefused(rs256(header(extra), payload()));
    // And the classic: the attacker's own key embedded and used to sign.
    await expectRefused(rs256(header({ jwk: attackerJwk, kid: undefined }), payload(), attacker.privateKey));
    await expectRefused(rs256(header({ jwk: attackerJwk }), payload(), attacker.privateKey));
  });

  it('refuses expired tokens, and a future nbf', async () => {
    await expectRefused(rs256(header(), payload({ exp: nowSec() - 60, iat: nowSec() - 960, nbf: nowSec() - 960 })));
    await expectRefused(rs256(header(), payload({ nbf: nowSec() + 600 })));
    await expectRefused(rs256(header(), payload({ exp: String(nowSec() + 600) })));
    await expectRefused(rs256(header(), payload({ nbf: String(nowSec() + 600) })));
    await expectRefused(rs256(header(), payload({ exp: undefined })));
    // Real tokens age out too: the clock moves past exp.
    const login = await bearerLogin(server, 'jwt@example.com');
    expect((await present(login.access_token)).status).toBe(200);
    server.clock.advance(16 * 60_000);
    await expectRefused(login.access_token);
  });

  it('refuses a wrong audience or issuer', async () => {
    const base = { exp: nowSec() + 600, iat: nowSec(), nbf: nowSec() };
    await expectRefused(rs256(header(), payload({ ...base, aud: 'https://other.example' })));
    await expectRefused(rs256(header(), payload({ ...base, aud: ['https://other.example'] })));
    await expectRefused(rs256(header(), payload({ ...base, aud: undefined })));
    await expectRefused(rs256(header(), payload({ ...base, iss: 'https://evil.example' })));
    await expectRefused(rs256(header(), payload({ ...base, iss: `${server.url}/` })));
    await expectRefused(rs256(header(), payload({ ...base, iss: undefined })));
  });

  it('refuses a wrong or missing typ (an ID token or a bare JWT is not an access token)', async () => {
    const base = { exp: nowSec() + 600, iat: nowSec(), nbf: nowSec() };
    for (const typ of ['JWT', 'jwt', 'id_token', 'at+JWT ', undefined]) {
      await expectRefused(rs256(header({ typ }), payload(base)));
    }
  });

  it('refuses oversized tokens without a 5xx', async () => {
    const base = { exp: nowSec() + 600, iat: nowSec(), nbf: nowSec() };
    await expectRefused(rs256(header(), payload({ ...base, pad: 'x'.repeat(9000) })));
    const huge = rs256(header(), payload({ ...base, pad: 'x'.repeat(40_000) }));
    const res = await present(huge);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.status === 401 || res.status === 431).toBe(true);
  });

  it('refuses duplicate claim and header names, even when the last copy (the one JSON.parse keeps) is valid', async () => {
    const good: Record<string, unknown> = { ...claims, exp: nowSec() + 600, iat: nowSec(), nbf: nowSec() };
    /** `bad` first, then the valid claim again: a last-wins parser sees a perfect token. */
    const shadowed = (name: string, bad: unknown) =>
      `${JSON.stringify({ ...good, [name]: bad }).slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(good[name])}}`;
    await expectRefused(rs256(header(), shadowed('exp', nowSec() - 3600)));
    await expectRefused(rs256(header(), shadowed('aud', 'https://other.example')));
    await expectRefused(rs256(header(), shadowed('iss', 'https://evil.example')));
    await expectRefused(rs256(header(), shadowed('sub', 'someone-else')));
    // An escaped spelling of a name is the same name.
    const body = JSON.stringify(good);
    await expectRefused(rs256(header(), `{"\\u0065xp":1,${body.slice(1)}`));
    await expectRefused(rs256(`{"alg":"none",${header().slice(1)}`, body));
    await expectRefused(rs256(`{"kid":"../../dev/null",${header().slice(1)}`, body));
    // (control) the same texts without the duplicates are accepted.
    expect((await present(rs256(header(), body))).status).toBe(200);
  });

  it('refuses a stripped or transplanted signature, padding, and a refresh token used as an access token', async () => {
    const good = rs256(header(), payload({ jti: 'x1' }));
    const other = rs256(header(), payload({ jti: 'x2' }));
    const [h, p] = good.split('.');
    await expectRefused(`${h}.${p}.${other.split('.')[2]}`);
    await expectRefused(`${h}.${p}.`);
    await expectRefused(`${good}=`);
    await expectRefused(`${h}.${p}.${good.split('.')[2]}.extra`);
    const login = await bearerLogin(server, 'jwt@example.com');
    await expectRefused(login.refresh_token);
  });

  it('reads tokens only from the Authorization header or the cookie, never the query or body', async () => {
    const login = await bearerLogin(server, 'jwt@example.com');
    const query = await call(server.url, 'GET', `/auth/session?access_token=${login.access_token}`);
    expect(query.status).toBe(401);
    expect(query.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
    const body = await call(server.url, 'POST', '/auth/logout', { body: { access_token: login.access_token } });
    expect(body.status).toBe(401);
    expect((await present(login.access_token)).status).toBe(200);
  });
});
