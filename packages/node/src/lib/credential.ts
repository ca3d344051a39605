import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { problems, type Problem } from './problem.js';

/** Cookie names of API.md "Transports". */
export const ACCESS_COOKIE = '__Host-lk_at';
export const CSRF_COOKIE = '__Host-lk_csrf';

export type Transport = 'bearer' | 'cookie';

export interface Credential {
  token: string;
  transport: Transport;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in a `Cookie` header (RFC 6265 §5.4), without a full parse. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(';', at);
    if (end === -1) end = header.length;
    let start = at;
    while (start < end && header.charCodeAt(start) === 32) start++;
    if (header.startsWith(name, start) && header.charCodeAt(start + name.length) === 61 /* = */) {
      let value = header.slice(start + name.length + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    at = end + 1;
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The access token of a request: `Authorization: Bearer` (RFC 6750 §2.1) or the access
 * cookie, never the query or body (RFC 6750 §2.3 is not supported, on purpose). Returns
 * null when the request carries neither, or the problem to answer when the header is
 * not a Bearer credential.
 */
export function credentialOf(headers: IncomingHttpHeaders): Credential | Problem | null {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    // The scheme is case-insensitive (RFC 7235 §2.1).
    if (authorization.length > 7 && authorization.charCodeAt(6) === 32 && authorization.slice(0, 6).toLowerCase() === 'bearer') {
      const token = authorization.slice(7).trim();
      if (token !== '' && token.indexOf(' ') === -1) return { token, transport: 'bearer' };
    }
    return problems.invalidToken('The Authorization header must be "Bearer <token>".');
  }
  const token = cookieValue(headers.cookie, ACCESS_COOKIE);
  return token ? { token, transport: 'cookie' } : null;
}

/**
 * Cookie-authenticated requests with unsafe methods must send `X-CSRF-Token` equal to the
 * csrf cookie (API.md "Transports": double submit; SameSite alone is not enough).
 */
export function csrfSatisfied(credential: Credential, method: string | undefined, headers: IncomingHttpHeaders): boolean {
  if (credential.transport !== 'cookie' || SAFE_METHODS.has(method ?? 'GET')) return true;
  const header = headers['x-csrf-token'];
  const cookie = cookieValue(headers.cookie, CSRF_COOKIE);
  return typeof header === 'string' && cookie !== undefined && cookie !== '' && sameSecret(header, cookie);
}
