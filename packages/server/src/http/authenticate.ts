import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Latchkey } from '../app.js';
import { FIRST_PARTY_CLIENT_ID } from '../core/config.js';
import { CsrfFailed, Forbidden, Unauthorized } from '../core/errors.js';
import { authenticateAccessToken, type Authenticated } from '../core/sessions/authenticate.js';
import { csrfMatches } from '../core/sessions/csrf.js';
import { constantTimeEqual } from '../core/tokens/opaque-token.js';
import type { RequestContext } from '../ports.js';
import { ACCESS_COOKIE, CSRF_COOKIE } from './cookies.js';

export type Transport = 'cookie' | 'bearer';

declare module 'fastify' {
  interface FastifyRequest {
    auth: (Authenticated & { transport: Transport }) | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : '', requestId: request.id };
}

const BEARER_SCHEME = /^Bearer(\s|$)/i;

/** Whether the request names a bearer token; another scheme (Basic from a proxy) is no credential of ours. */
export function hasBearerHeader(request: FastifyRequest): boolean {
  const header = request.headers.authorization;
  return header !== undefined && BEARER_SCHEME.test(header);
}

/**
 * Reads the access token from `Authorization: Bearer` or the access cookie, never from
 * the query or body (API.md "Transports"). Cookie-authenticated unsafe requests must
 * carry `X-CSRF-Token` equal to the csrf cookie and bound to the session.
 */
export function credentialFrom(request: FastifyRequest): { token: string; transport: Transport } | null {
  const header = request.headers.authorization;
  const cookie = request.cookies[ACCESS_COOKIE];
  // An Authorization header of another scheme (Basic added by a proxy in front of the
  // app) is not a Latchkey credential: the access cookie, when sent, still counts.
  if (header !== undefined && (hasBearerHeader(request) || !cookie)) return { token: bearerToken(header), transport: 'bearer' };
  return cookie ? { token: cookie, transport: 'cookie' } : null;
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), else
 * `Unauthorized`. RFC 6750 §3.1: another scheme (Basic, ...) or no header is no token at
 * all, so the challenge names no error; a Bearer header whose token is malformed was a
 * token, and an invalid one.
 */
export function bearerToken(header: string, description = 'The Authorization header must be "Bearer <token>".'): string {
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!match) throw new Unauthorized(description, BEARER_SCHEME.test(header));
  return match[1]!;
}

/** True when the X-CSRF-Token header equals the csrf cookie. */
export function csrfHeaderMatchesCookie(request: FastifyRequest): boolean {
  const header = request.headers['x-csrf-token'];
  const cookie = request.cookies[CSRF_COOKIE];
  return typeof header === 'string' && typeof cookie === 'string' && cookie.length > 0 && constantTimeEqual(header, cookie);
}

export function authenticator(latchkey: Latchkey) {
  return async function requireAuth(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const credential = credentialFrom(request);
    if (!credential) throw new Unauthorized();
    const auth = await authenticateAccessToken(latchkey.deps, credential.token);
    // Tokens an OAuth client got for a person (issue 5) are for that client's APIs and
    // /oauth2/userinfo, never for managing the account (password, MFA, sessions, admin).
    if (auth.session.clientId !== FIRST_PARTY_CLIENT_ID) {
      throw new Forbidden('This endpoint takes a Latchkey sign-in, not an access token issued to an app.');
    }
    if (credential.transport === 'cookie' && !SAFE_METHODS.has(request.method)) {
      const header = request.headers['x-csrf-token'];
      if (!csrfHeaderMatchesCookie(request) || typeof header !== 'string' || !csrfMatches(latchkey.csrfKey, auth.session.id, header)) {
        throw new CsrfFailed();
      }
    }
    request.auth = { ...auth, transport: credential.transport };
  };
}

/**
 * A preValidation hook for routes only `role` may use (API.md "Admin": `admin`). Authenticates
 * when no earlier hook did (401 without credentials), then reads the roles from
 * the user record rather than the token, so a role taken away applies at once, not
 * when the access token expires. Anyone else gets `403 forbidden`.
 */
export function requireRole(latchkey: Latchkey, role: string) {
  const requireAuth = authenticator(latchkey);
  return async function requireRoleHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!request.auth) await requireAuth(request, reply);
    const user = await latchkey.deps.users.findById(request.auth!.session.userId);
    if (!user || user.status !== 'active' || !user.roles.includes(role)) {
      throw new Forbidden(`This requires the "${role}" role.`);
    }
  };
}
