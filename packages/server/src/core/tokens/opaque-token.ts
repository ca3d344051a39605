import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBase64url } from '../random.js';

/**
 * Opaque secrets (refresh tokens, reset tokens, codes): 256 bits from the CSPRNG behind
 * a recognisable prefix so secret scanners can find leaked ones; stored only as SHA-256.
 */
export function generateOpaqueToken(prefix: string): string {
  return prefix + randomBase64url(32);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Shape check before any lookup: the prefix and 43 base64url characters. */
export function looksLikeOpaqueToken(token: string, prefix: string): boolean {
  return token.length === prefix.length + 43 && token.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(prefix.length));
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export const REFRESH_TOKEN_PREFIX = 'lkrt_';
