import { createHmac, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { KeyAlgorithm } from '../../ports.js';

/** Longest compact JWS we will even look at; ours are well under 2 KB. */
export const MAX_TOKEN_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export async function signJws(
  header: { alg: KeyAlgorithm; kid: string; typ: string },
  payload: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
}

export interface ParsedJws {
  header: JwsHeader;
  signingInput: string;
  payloadB64: string;
  signature: Buffer;
}

/**
 * Strict compact-serialization parser (RFC 7515 §7.1). Rejects anything but three
 * non-empty base64url parts, a JSON-object header with a string `alg`, and header
 * parameters that would make a verifier fetch or trust a key from the token itself
 * (`jku`, `jwk`, `x5u`, `x5c`) or that we do not understand (`crit`, RFC 7515 §4.1.11).
 */
export function parseCompactJws(token: string): ParsedJws | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) return null;
  const headerB64 = token.slice(0, first);
  const payloadB64 = token.slice(first + 1, second);
  const signatureB64 = token.slice(second + 1);
  if (!B64URL.test(headerB64) || !B64URL.test(payloadB64) || !B64URL.test(signatureB64)) return null;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerB64, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return null;
  const h = header as JwsHeader;
  if (typeof h.alg !== 'string' || (h.kid !== undefined && typeof h.kid !== 'string')) return null;
  for (const forbidden of ['jku', 'jwk', 'x5u', 'x5c', 'crit']) if (forbidden in h) return null;
  return { header: h, signingInput: token.slice(0, second), payloadB64, signature: Buffer.from(signatureB64, 'base64url') };
}

/** Verifies with the algorithm the key is pinned to, never the one the header names. */
export function verifySignature(alg: KeyAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const data = Buffer.from(signingInput, 'ascii');
  switch (alg) {
    case 'RS256':
      return cryptoVerify('sha256', data, key, signature);
    case 'ES256':
      return signature.length === 64 && cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return cryptoVerify(null, data, key, signature);
    case 'HS256': {
      const expected = createHmac('sha256', key).update(data).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
  }
}

export function decodePayload(payloadB64: string): Record<string, unknown> | null {
  try {
    const payload: unknown = JSON.parse(Buffer.from(payloadB64, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
