import type { FastifyRequest } from 'fastify';
import { CsrfFailed } from '../core/errors.js';
import { csrfHeaderMatchesCookie, hasBearerHeader } from './authenticate.js';
import { ACCESS_COOKIE, REFRESH_COOKIE } from './cookies.js';

/**
 * The content types a page on another origin can send without a CORS preflight: what an
 * HTML form posts (Fetch Standard §2.2.2, CORS-safelisted `Content-Type`).
 */
const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The JSON APIs of API.md; /oauth2/* takes forms by design and checks its own CSRF token. */
const JSON_APIS = /^\/(auth|admin)\//;

/**
 * For an onRequest hook: an unsafe request to a JSON API with a form content type and no
 * `X-CSRF-Token` matching the csrf cookie is a forged form post when it carries a session
 * cookie, or when the browser says it came from another origin (`Sec-Fetch-Site`, Fetch
 * Metadata). Refuse it as `403 csrf_failed` (API.md "Transports") before anything else
 * looks at it, rather than letting body parsing answer 415 first.
 */
export function refuseForgedFormPosts(request: FastifyRequest): void {
  // A bearer request carries no ambient credential; a Basic header beside the cookies does not make one.
  if (SAFE_METHODS.has(request.method) || hasBearerHeader(request)) return;
  const type = request.headers['content-type'];
  if (typeof type !== 'string' || !FORM_TYPES.test(type) || !JSON_APIS.test(request.url)) return;
  const site = request.headers['sec-fetch-site'];
  const fromElsewhere = site === 'cross-site' || site === 'same-site';
  if (!fromElsewhere && !request.cookies[ACCESS_COOKIE] && !request.cookies[REFRESH_COOKIE]) return;
  if (!csrfHeaderMatchesCookie(request)) throw new CsrfFailed();
}
