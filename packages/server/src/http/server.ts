import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import secureJson from 'secure-json-parse';
import type { Latchkey } from '../app.js';
import type { Health } from '../ports.js';
import { refuseForgedFormPosts } from './csrf-guard.js';
import { clientErrorHandler, registerErrorHandling, routingErrorHandler } from './errors.js';
import { accountSecurityRoutes } from './routes/account-security.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { oauth2Routes } from './routes/oauth2.js';
import { operationsRoutes } from './routes/operations.js';
import { revocationRoutes } from './routes/revocations.js';
import { pagesRoutes } from './routes/pages.js';
import { wellKnownRoutes } from './routes/well-known.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The same on every response, so set from one frozen object rather than computed per request
 * (what @fastify/helmet's defaults sent, less its Content-Security-Policy: the pages set their
 * own and the API answers JSON). Cross-Origin-Embedder-Policy is left off so /docs loads.
 */
const SECURITY_HEADERS = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

export interface HttpOptions {
  /** More readiness checks (e.g. Redis) beside the database. */
  health?: Record<string, Health>;
}

/** The Fastify app: one plugin per route family, one error handler, one JSON parser. */
export type HttpServer = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export async function buildHttpServer(latchkey: Latchkey, options: HttpOptions = {}): Promise<HttpServer> {
  const { config } = latchkey;
  const app = Fastify({
    loggerInstance: latchkey.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    // A hop count is valid at runtime (proxy-addr) though Fastify's types omit it.
    trustProxy: config.trustProxy as boolean | string,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // API.md: no type coercion; unknown fields are ignored, not stripped into defaults.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: routingErrorHandler,
    clientErrorHandler,
    return503OnClosing: true,
    // One access-log line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  closeQuietConnectionsOnShutdown(app);
  // The access line is built below from fixed fields (method, URL, IP, status, time), none
  // of which any redaction path of the logger names, so the redaction pass (a selective
  // copy of the object, most of the line's cost) is skipped for it; every other line keeps it.
  const accessLog = latchkey.logger.child({}, { redact: [] });
  // Callback hooks (no promise per request): these run on every request, the hot paths included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    latchkey.metrics.requestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    accessLog.info(
      {
        reqId: request.id,
        req: { method: request.method, url: request.url },
        ip: request.ip,
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
    done();
  });

  // One JSON parser: an empty body is no body (cookie-mode refresh, logout); prototype
  // poisoning is refused; text/plain is not JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, secureJson.parse(body as string, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      const error = new Error('invalid JSON') as Error & { statusCode: number; code: string };
      error.statusCode = 400;
      error.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
      done(error, undefined);
    }
  });

  // API.md: an empty-bodied request (cookie-mode refresh, logout, DELETE) needs no
  // Content-Type, so whatever type it names does not matter (`fetch` with `body: ''`
  // sends text/plain). A body of any type but JSON (or a form on /oauth2/*) is refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    const error = new Error('unsupported content type') as Error & { statusCode: number; code: string };
    error.statusCode = 415;
    error.code = 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
    done(error, undefined);
  });

  registerErrorHandling(app);
  await app.register(cookie);
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      refuseForgedFormPosts(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Latchkey', version: '1', description: 'Authentication and session server. The HTTP contract is API.md.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cookie: { type: 'apiKey', in: 'cookie', name: '__Host-lk_at' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(authRoutes(latchkey));
  await app.register(accountSecurityRoutes(latchkey));
  await app.register(adminRoutes(latchkey));
  await app.register(wellKnownRoutes(latchkey));
  await app.register(revocationRoutes(latchkey));
  await app.register(oauth2Routes(latchkey));
  await app.register(operationsRoutes(latchkey, { ...latchkey.readiness, ...options.health }));
  await app.register(pagesRoutes(latchkey));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/**
 * Graceful shutdown that does not wait on connections with nothing in flight. Node's
 * closeIdleConnections() (what Fastify calls) leaves alone a connection that has not sent
 * its first request yet, such as a browser's preconnect or a client that aborted before
 * writing; server.close() then waits for the headers timeout (a minute). Requests in
 * flight still finish; their connection closes once the last answer is written.
 */
function closeQuietConnectionsOnShutdown(app: HttpServer): void {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    if (closing) return void socket.destroy();
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const count = inFlight.get(socket);
      // A connection that closed first (client gone mid-answer) is already forgotten.
      if (count === undefined) return;
      inFlight.set(socket, count - 1);
      if (closing && count === 1) socket.destroySoon();
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, count] of inFlight) if (count === 0) socket.destroy();
  });
}
