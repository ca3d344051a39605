import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leftHalfHash } from './id-token.js';

describe('at_hash (OIDC Core §3.1.3.6)', () => {
  it('is the left half of SHA-256 for RS256/ES256/HS256 and of SHA-512 for EdDSA', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig';
    const sha256 = createHash('sha256').update(token).digest();
    const sha512 = createHash('sha512').update(token).digest();
    for (const alg of ['RS256', 'ES256', 'HS256'] as const)
      expect(leftHalfHash(alg, token)).toBe(sha256.subarray(0, 16).toString('base64url'));
    expect(leftHalfHash('EdDSA', token)).toBe(sha512.subarray(0, 32).toString('base64url'));
  });
});
