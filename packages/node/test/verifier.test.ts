import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import {
  createVerifier,
  InvalidTokenError,
  TokenExpiredError,
  TokenNotYetValidError,
  VerifierUnavailableError,
  type Verifier,
  type VerifierOptions,
} from '../src/index.js';
import { claimsOf, forge, login, register, rejection } from './support/latchkey.js';

let server: TestServer;
let user: Awaited<ReturnType<typeof login>>;
const verifiers: Verifier[] = [];

/** A verifier of the test server's tokens that counts what it fetches. */
function verifierFor(options: Partial<VerifierOptions> = {}) {
  const fetched: string[] = [];
  const verifier = createVerifier({
    issuer: server.url,
    audience: server.url,
    fetch: (url, init) => {
      fetched.push(new URL(url).pathname);
      return (options.fetch ?? fetch)(url, init);
    },
    ...Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'fetch')),
  } as VerifierOptions);
  verifiers.push(verifier);
  return { verifier, fetched };
}

const nowSec = () => Math.floor(Date.now() / 1000);
/** The claims of a real token, to change one at a time. */
const base = () => claimsOf(user.access_token);

beforeAll(async () => {
  server = await startTestServer();
  await register(server.url, 'ada@example.com');
  user = await login(server.url, 'ada@example.com');
});
afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
  await server.close();
});

describe('createVerifier', () => {
  it('finds the JWKS through discovery and returns the typed identity of a Latchkey access token', async () => {
    const { verifier, fetched } = verifierFor();
    const identity = await verifier.verify(user.access_token);
    const claims = base();
    expect(identity).toEqual({
      sub: user.user.id,
      sid: user.session.id,
      roles: [],
      tenant_id: null,
      scope: claims.scope,
      scopes: String(claims.scope).split(' '),
      client_id: claims.client_id,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      name: 'ada',
      claims,
    });
    expect(fetched).toEqual(['/.well-known/openid-configuration', '/.well-known/jwks.json']);
    // Cached until exp: no further fetch, the same identity.
    expect(await verifier.verify(user.access_token)).toBe(identity);
    expect(fetched).toHaveLength(2);
    expect(verifier.status()).toMatchObject({ keys: 1, cachedTokens: 1, revocations: null });
  });

  it('never answers a token from the cache entry of another token that ends in the same characters', async () => {
    const { verifier } = verifierFor();
    const identity = await verifier.verify(user.access_token);
    // A token with other claims (here: another subject) carrying the cached token's signature.
    const [header, , signature] = user.access_token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...base(), sub: 'someone-else' })).toString('base64url');
    const spliced = `${header}.${payload}.${signature}`;
    expect(spliced.slice(-24)).toBe(user.access_token.slice(-24));
    expect(await rejection(verifier.verify(spliced))).toMatchObject({ code: 'signature_invalid' });
    // The real token's entry is still there.
    expect(await verifier.verify(user.access_token)).toBe(identity);
  });

  it('falls back to /.well-known/jwks.json when the issuer has no discovery document (404)', async () => {
    const { verifier, fetched } = verifierFor({
      fetch: (url, init) =>
        url.endsWith('/openid-configuration') ? Promise.resolve(new Response('{"error":"not_found"}', { status: 404 })) : fetch(url, init),
    });
    expect((await verifier.verify(user.access_token)).sub).toBe(user.user.id);
    expect(fetched).toEqual(['/.well-known/openid-configuration', '/.well-known/jwks.json']);
  });

  it('answers keys_unavailable (503) when keys cannot be fetched, and recovers when they can', async () => {
    let down = true;
    const { verifier } = verifierFor({
      jwksCooldownMs: 0,
      fetch: (url, init) => (down ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init)),
    });
    const error = await rejection(verifier.verify(user.access_token));
    expect(error).toBeInstanceOf(VerifierUnavailableError);
    expect(error).toMatchObject({ code: 'keys_unavailable', status: 503 });
    down = false;
    expect((await verifier.verify(user.access_token)).sub).toBe(user.user.id);
  });

  it('keeps verifying across a signing-key rotation: one refetch for the new kid, old tokens still valid', async () => {
    const { verifier, fetched } = verifierFor();
    await verifier.ready();
    const before = fetched.length;
    const oldKid = JSON.parse(Buffer.from(user.access_token.split('.')[0]!, 'base64url').toString()).kid as string;

    const { kid } = await server.latchkey.deps.keyRing.rotate();
    expect(kid).not.toBe(oldKid);
    const fresh = await login(server.url, 'ada@example.com');
    expect(JSON.parse(Buffer.from(fresh.access_token.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);

    expect((await verifier.verify(fresh.access_token)).sid).toBe(fresh.session.id);
    expect((await verifier.verify(user.access_token)).sid).toBe(user.session.id);
    expect(fetched.slice(before)).toEqual(['/.well-known/jwks.json']);
    expect(verifier.status().keys).toBe(2);

    // A second rotation right away: the refetch waits out the cooldown instead of refusing.
    await server.latchkey.deps.keyRing.rotate();
    const third = await login(server.url, 'ada@example.com');
    expect((await verifier.verify(third.access_token)).sid).toBe(third.session.id);
    expect(fetched.slice(before)).toEqual(['/.well-known/jwks.json', '/.well-known/jwks.json']);
  });

  it('refetches at most once per cooldown for tokens naming unknown kids, one fetch shared by all', async () => {
    const { verifier, fetched } = verifierFor();
    await verifier.ready();
    const before = fetched.length;
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => forge(server.latchkey, base(), { kid: `no-such-kid-${i}` })));
    const errors = await Promise.all(tokens.map((t) => rejection(verifier.verify(t))));
    for (const error of errors) expect(error).toMatchObject({ code: 'key_unknown', status: 401 });
    expect(fetched.slice(before)).toEqual(['/.well-known/jwks.json']);

    // With a long cooldown, an unknown kid right after a fetch is refused without another one.
    const slow = verifierFor({ jwksCooldownMs: 60_000 });
    await slow.verifier.ready();
    const slowBefore = slow.fetched.length;
    expect(await rejection(slow.verifier.verify(tokens[0]!))).toMatchObject({ code: 'key_unknown' });
    expect(slow.fetched.length).toBe(slowBefore);
  });

  describe('refuses', () => {
    let verifier: Verifier;
    beforeAll(async () => {
      verifier = verifierFor({ clockTolerance: 5 }).verifier;
      await verifier.ready();
    });
    const code = async (token: string) => {
      const error = await rejection(verifier.verify(token));
      expect(error).toBeInstanceOf(Error);
      return (error as { code: string }).code;
    };

    it('a token whose typ is not at+jwt (an ID token, a plain JWT, none)', async () => {
      for (const typ of ['JWT', 'id_token+jwt', 'jwt']) {
        const error = await rejection(verifier.verify(await forge(server.latchkey, base(), { typ })));
        expect(error).toBeInstanceOf(InvalidTokenError);
        expect(error.code).toBe('token_type_invalid');
      }
      expect((await verifier.verify(await forge(server.latchkey, base(), { typ: 'application/at+jwt' }))).sub).toBe(user.user.id);
    });

    it('a foreign iss or aud', async () => {
      expect(await code(await forge(server.latchkey, { ...base(), iss: 'https://evil.example' }))).toBe('issuer_invalid');
      expect(await code(await forge(server.latchkey, { ...base(), aud: 'https://api.other.example' }))).toBe('audience_invalid');
      expect(await code(await forge(server.latchkey, { ...base(), aud: ['https://a.example', 'https://b.example'] }))).toBe(
        'audience_invalid',
      );
      expect((await verifier.verify(await forge(server.latchkey, { ...base(), aud: ['https://a.example', server.url] }))).sub).toBe(
        user.user.id,
      );
    });

    it('an expired token, allowing the configured clock tolerance', async () => {
      const expired = await rejection(verifier.verify(await forge(server.latchkey, { ...base(), exp: nowSec() - 6 })));
      expect(expired).toBeInstanceOf(TokenExpiredError);
      expect(expired).toMatchObject({ code: 'token_expired', status: 401 });
      // Within the 5 s tolerance it is still accepted.
      expect((await verifier.verify(await forge(server.latchkey, { ...base(), exp: nowSec() - 2 }))).sub).toBe(user.user.id);
    });

    it('a token not valid yet (nbf), allowing the configured clock tolerance', async () => {
      const early = await rejection(verifier.verify(await forge(server.latchkey, { ...base(), nbf: nowSec() + 60 })));
      expect(early).toBeInstanceOf(TokenNotYetValidError);
      expect(early.code).toBe('token_not_yet_valid');
      expect((await verifier.verify(await forge(server.latchkey, { ...base(), nbf: nowSec() + 3 }))).sub).toBe(user.user.id);
    });

    it('a signature that does not match, and malformed compact serializations', async () => {
      const [h, p, s] = user.access_token.split('.') as [string, string, string];
      const otherPayload = Buffer.from(JSON.stringify({ ...base(), sub: 'someone-else' })).toString('base64url');
      expect(await code(`${h}.${otherPayload}.${s}`)).toBe('signature_invalid');
      for (const bad of ['', 'abc', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}..${s}`, `${h}.${p}.${s}=`, 'a'.repeat(9000)]) {
        expect(await code(bad)).toBe('token_malformed');
      }
      // A header that asks to trust a key carried by the token itself.
      const jwkHeader = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'x', jwk: {} })).toString('base64url');
      expect(await code(`${jwkHeader}.${p}.${s}`)).toBe('token_malformed');
    });

    it('an algorithm other than the one its key is pinned to (HS256 with the public key, ES256, none)', async () => {
      const { kid } = server.latchkey.deps.keyRing.signingKey();
      const payload = Buffer.from(JSON.stringify(base())).toString('base64url');
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      const publicPem = createPublicKey({ key: jwks.keys.find((k) => k.kid === kid)! as never, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid })).toString('base64url');
      const hsSig = createHmac('sha256', publicPem).update(`${hsHeader}.${payload}`).digest('base64url');
      expect(await code(`${hsHeader}.${payload}.${hsSig}`)).toBe('algorithm_mismatch');

      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const es = await new CompactSign(Buffer.from(JSON.stringify(base())))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
        .sign(ec.privateKey);
      expect(await code(es)).toBe('algorithm_mismatch');

      const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid })).toString('base64url');
      expect(await code(`${noneHeader}.${payload}.AA`)).toBe('algorithm_mismatch');
    });

    it('tokens missing the claims RFC 9068 requires, or with mistyped ones', async () => {
      for (const change of [
        { sub: undefined },
        { jti: 7 },
        { exp: '9999999999' },
        { client_id: undefined },
        { roles: 'admin' },
        { iat: undefined },
      ]) {
        expect(await code(await forge(server.latchkey, { ...base(), ...change }))).toBe('claim_invalid');
      }
    });
  });
});
