import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../tokens/opaque-token.js';

/** RFC 7636 §4.1: code_verifier = 43*128unreserved */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** RFC 7636 §4.6 with S256 only: `plain` would let a stolen challenge stand in for the verifier. */
export function verifierMatches(challenge: string, verifier: string): boolean {
  return VERIFIER.test(verifier) && constantTimeEqual(s256(verifier), challenge);
}
