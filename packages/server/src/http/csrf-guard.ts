import type { FastifyRequest } from 'fastify';
import { CsrfFailed } from '../core/errors.js';
import { csrfHeaderMatchesCookie } from './authenticate.js';
import { ACCESS_COOKIE } from './cookies.js';

/**
 * The content types a page on another origin can send without a CORS preflight: what an
 * HTML form posts (Fetch Standard §2.2.2, CORS-safelisted `Content-Type`).
 */
const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The JSON APIs of API.md; /oauth2/* takes forms by design and checks its own CSRF token. */
const JSON_APIS = /^\/(auth|admin)\//;

/**
 * onRequest hook: an unsafe request to a JSON API that carries the access cookie and a
 * form content type, but no `X-CSRF-Token` matching the csrf cookie, is a forged
 * cross-origin form post. Refuse it as `403 csrf_failed` (API.md "Transports") before
 * anything else looks at it, rather than letting body parsing answer 415 first.
 */
export async function refuseForgedFormPosts(request: FastifyRequest): Promise<void> {
  if (SAFE_METHODS.has(request.method) || request.headers.authorization !== undefined) return;
  const type = request.headers['content-type'];
  if (typeof type !== 'string' || !FORM_TYPES.test(type)) return;
  if (!JSON_APIS.test(request.url) || !request.cookies[ACCESS_COOKIE]) return;
  if (!csrfHeaderMatchesCookie(request)) throw new CsrfFailed();
}
