/**
 * The strict compact-JWS primitives that both the Latchkey server and this package verify
 * with: one parser, one signature check, so the two can never disagree about what a
 * well-formed token is. Exported as `@latchkey/node/jws`; most callers want `createVerifier`.
 *
 * @packageDocumentation
 */
import { createHmac, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** The algorithms a Latchkey key can be pinned to (RFC 7518 §3.1, RFC 8037 §3.1). */
export type JwsAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';

/** Longest compact JWS we will even look at; Latchkey's are well under 2 KB. */
export const MAX_TOKEN_LENGTH = 8192;

const B64URL = /^[A-Za-z0-9_-]+$/;

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface ParsedJws {
  header: JwsHeader;
  /** `base64url(header) . base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  payloadB64: string;
  signature: Buffer;
}

/**
 * Strict compact-serialization parser (RFC 7515 §7.1). Returns null for anything but three
 * non-empty base64url parts, a JSON-object header with a string `alg` (and a string `kid`
 * when present), and for header parameters that would make a verifier fetch or trust a key
 * named by the token itself (`jku`, `jwk`, `x5u`, `x5c`) or that it does not understand
 * (`crit`, RFC 7515 §4.1.11).
 *
 * @example
 * ```ts
 * import { parseCompactJws } from '@latchkey/node/jws';
 * const parsed = parseCompactJws(token);
 * if (!parsed) throw new Error('not a compact JWS');
 * console.log(parsed.header.kid);
 * ```
 */
export function parseCompactJws(token: string): ParsedJws | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
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

/**
 * Verifies with the algorithm the key is pinned to, never the one the header names
 * (RFC 8725 §3.1). ES256 signatures are the raw 64-byte `r || s` form (RFC 7518 §3.4).
 *
 * @example
 * ```ts
 * import { createPublicKey } from 'node:crypto';
 * import { parseCompactJws, verifySignature } from '@latchkey/node/jws';
 * const key = createPublicKey({ key: jwk, format: 'jwk' });
 * const parsed = parseCompactJws(token)!;
 * const ok = parsed.header.alg === 'RS256' && verifySignature('RS256', key, parsed.signingInput, parsed.signature);
 * ```
 */
export function verifySignature(alg: JwsAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const data = Buffer.from(signingInput, 'latin1');
  try {
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
      default:
        return false;
    }
  } catch {
    // A key of the wrong type for the pinned algorithm is a failed verification, not a crash.
    return false;
  }
}

/**
 * Decodes a base64url JSON payload; null unless it is a JSON object.
 *
 * @example
 * ```ts
 * import { decodePayload, parseCompactJws } from '@latchkey/node/jws';
 * const claims = decodePayload(parseCompactJws(token)!.payloadB64);
 * ```
 */
export function decodePayload(payloadB64: string): Record<string, unknown> | null {
  try {
    const payload: unknown = JSON.parse(Buffer.from(payloadB64, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * RS256 verification on libuv's thread pool (node:crypto's callback form): an RSA check
 * costs tens of microseconds, which a busy event loop hands to another core. Other
 * algorithms verify inline (an ECDSA or EdDSA check costs less than the hand-off).
 *
 * @example
 * ```ts
 * const parsed = parseCompactJws(token)!;
 * const ok = await verifySignatureOffLoop('RS256', key, parsed.signingInput, parsed.signature);
 * ```
 */
export function verifySignatureOffLoop(
  alg: JwsAlgorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): Promise<boolean> | boolean {
  if (alg !== 'RS256') return verifySignature(alg, key, signingInput, signature);
  return new Promise((resolve) => {
    try {
      cryptoVerify('sha256', Buffer.from(signingInput, 'latin1'), key, signature, (error, ok) => resolve(error === null && ok));
    } catch {
      resolve(false);
    }
  });
}
