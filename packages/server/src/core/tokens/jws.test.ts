import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from '../../ports.js';
import { generateKey, importKeyPair } from '../keys/key-material.js';
import { parseCompactJws, signJws, verifySignature } from './jws.js';

const ALGORITHMS: KeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const payload = { iss: 'https://issuer.test', sub: 'u1', exp: 2_000_000_000, name: 'Zoë ✓', roles: ['admin'] };

describe('signJws', () => {
  for (const alg of ALGORITHMS) {
    it(`writes a compact JWS that jose verifies (${alg})`, async () => {
      const generated = generateKey(alg);
      const { signKey, verifyKey } = importKeyPair(alg, generated.privateJwk);
      const token = await signJws({ alg, kid: generated.kid, typ: 'at+jwt' }, payload, signKey);

      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: generated.kid, typ: 'at+jwt' });
      // An independent implementation: jose, through the published JWK where there is one.
      const key = generated.publicJwk ? createLocalJWKSet({ keys: [generated.publicJwk as never] }) : verifyKey;
      const verified = await compactVerify(token, key as Parameters<typeof compactVerify>[1], { algorithms: [alg] });
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload);

      const parsed = parseCompactJws(token)!;
      expect(verifySignature(alg, verifyKey, parsed.signingInput, parsed.signature)).toBe(true);
    });
  }

  it('signs ES256 as R || S (64 bytes, RFC 7518 §3.4), not DER', async () => {
    const generated = generateKey('ES256');
    const token = await signJws(
      { alg: 'ES256', kid: generated.kid, typ: 'JWT' },
      payload,
      importKeyPair('ES256', generated.privateJwk).signKey,
    );
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
  });
});
