import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, RateLimited, Unauthorized } from '../core/errors.js';

function bearerChallenge(error: Unauthorized): string {
  // RFC 6750 §3.1: name the error only when a token was actually presented.
  return error.tokenPresented
    ? 'Bearer realm="latchkey", error="invalid_token", error_description="The access token is invalid"'
    : 'Bearer realm="latchkey"';
}

/** Maps Fastify's own 4xx errors (parsing, validation, limits) to the contract's shape. */
function frameworkError(error: FastifyError, url: string): { status: number; description: string } | null {
  if (error.validation) {
    const first = error.validation[0];
    const where = first?.instancePath
      ? first.instancePath.slice(1).replace(/\//g, '.')
      : (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    return {
      status: 400,
      description: where
        ? `Invalid field "${where}": ${first?.message ?? 'invalid'}.`
        : `Invalid request: ${first?.message ?? 'malformed'}.`,
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // RFC 6749 §5.2: the OAuth endpoints answer a body that is not a form with 400 invalid_request.
      return url.startsWith('/oauth2/')
        ? { status: 400, description: 'The body must be application/x-www-form-urlencoded.' }
        : { status: 415, description: 'Unsupported content type; send application/json.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, description: 'Invalid Content-Length.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, description: 'The request body is too large.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, description: 'The body is not valid JSON.' };
  }
  if (error instanceof SyntaxError) return { status: 400, description: 'The body is not valid JSON.' };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, description: 'The request is malformed.' };
  return null;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  description: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  // API.md: a response carrying a token has no-store (`401 mfa_required` carries the
  // mfa_token); no error answer is worth keeping in a cache either.
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ error: code, error_description: description, ...extra }));
}

/** The one error handler: domain errors keep their code, everything unknown is a bare 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AuthError) {
      if (error.debug) request.log.info({ code: error.code, debug: error.debug }, 'request refused');
      if (error instanceof Unauthorized) reply.header('www-authenticate', bearerChallenge(error));
      if (error instanceof RateLimited) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendError(reply, error.status, error.code, error.description ?? error.code, error.extra);
    }
    const mapped = frameworkError(error, request.url);
    if (mapped) return sendError(reply, mapped.status, 'invalid_request', mapped.description);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, 'server_error', 'An unexpected error occurred.');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route for ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}.`),
  );
}

/**
 * Errors the router raises before any route or hook runs (a URL that is not valid
 * percent-encoding, a path parameter over `maxParamLength`). Without this Fastify answers
 * in its own shape and without X-Request-ID; API.md wants the contract's.
 */
export function routingErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  const description = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long.' : 'The URL is malformed.';
  void sendError(reply, 400, 'invalid_request', description);
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers too large,
 * unparseable request lines, timeouts): the contract's JSON with a fresh X-Request-ID,
 * where Fastify's default would send its own shape.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, description] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive.']
        : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
