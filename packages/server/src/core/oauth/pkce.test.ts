import { describe, expect, it } from 'vitest';
import { isS256Challenge, s256, verifierMatches } from './pkce.js';

describe('PKCE S256 (RFC 7636)', () => {
  // RFC 7636 Appendix B
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('computes the challenge of RFC 7636 Appendix B', () => {
    expect(s256(verifier)).toBe(challenge);
    expect(isS256Challenge(challenge)).toBe(true);
  });

  it('matches only the right verifier of a valid shape', () => {
    expect(verifierMatches(challenge, verifier)).toBe(true);
    expect(verifierMatches(challenge, verifier.slice(0, -1) + 'Y')).toBe(false);
    // `plain` would compare the challenge itself; S256 never accepts it as a verifier.
    expect(verifierMatches(challenge, challenge)).toBe(false);
    expect(verifierMatches(s256('short'), 'short')).toBe(false);
    expect(verifierMatches(s256('a'.repeat(129)), 'a'.repeat(129))).toBe(false);
    expect(verifierMatches(s256('a'.repeat(43)), 'a'.repeat(43))).toBe(true);
  });

  it('refuses challenges that cannot be S256 output', () => {
    for (const c of ['', 'x'.repeat(42), 'x'.repeat(44), `${'x'.repeat(42)}=`, `${'x'.repeat(42)}+`])
      expect(isS256Challenge(c)).toBe(false);
  });
});
