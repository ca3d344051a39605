import { createHmac, hkdfSync } from 'node:crypto';
import { constantTimeEqual } from '../tokens/opaque-token.js';

/** The key CSRF tokens are derived with, from the master secret. */
export function deriveCsrfKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'latchkey', 'csrf/v1', 32));
}

/**
 * The CSRF token is bound to the session and fixed for its life (API.md "Transports"):
 * an HMAC of the session id, so it needs no storage and a token planted from another
 * session never matches.
 */
export function csrfTokenFor(key: Buffer, sessionId: string): string {
  return createHmac('sha256', key).update(sessionId).digest('base64url');
}

export function csrfMatches(key: Buffer, sessionId: string, presented: string): boolean {
  return constantTimeEqual(csrfTokenFor(key, sessionId), presented);
}
