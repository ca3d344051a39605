import type { FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Verifier } from './create-verifier.js';
import type { Identity } from './identity.js';
import { credentialOf, csrfSatisfied } from './lib/credential.js';
import { problemFor, problems, sendProblem } from './lib/problem.js';
import { verifyNowOf, type VerifyNow } from './lib/verify-now.js';

/** The hook `latchkeyFastify` decorates the instance with. */
export type AuthenticateHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `app.authenticate`: the verified identity (null before it ran, or on an optional route without a token). */
    identity: Identity | null;
  }
  interface FastifyInstance {
    /** Verifies the request's token; use as `onRequest`/`preHandler`, or add it as a hook for every route. */
    authenticate: AuthenticateHook;
    /** Like `authenticate`, but a request without any credential passes with `identity = null`. */
    authenticateOptional: AuthenticateHook;
  }
}

export interface LatchkeyFastifyOptions {
  verifier: Verifier;
}

/**
 * Fastify plugin: decorates `request.identity` and `app.authenticate`, a hook that reads
 * `Authorization: Bearer` or the `__Host-lk_at` cookie (cookie requests with unsafe
 * methods must send `X-CSRF-Token` equal to `__Host-lk_csrf`), verifies the token and sets
 * `request.identity`; otherwise it answers `401` with `WWW-Authenticate: Bearer`
 * (RFC 6750 §3), `403 csrf_failed`, or `503` when the verifier cannot decide
 * (`app.authenticateOptional` lets requests without a credential through). Not encapsulated: `app.authenticate` is visible to the whole app.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier, latchkeyFastify, requireScope } from '@latchkey/node';
 *
 * const app = Fastify();
 * await app.register(latchkeyFastify, { verifier: createVerifier({ issuer, audience }) });
 * app.get('/me', { onRequest: app.authenticate }, async (request) => ({ id: request.identity!.sub }));
 * app.get('/reports', { onRequest: app.authenticate, preHandler: requireScope('reports:read') }, async () => []);
 * ```
 */
export const latchkeyFastify: FastifyPluginCallback<LatchkeyFastifyOptions> = (app, options, done) => {
  if (!options || typeof options.verifier?.verify !== 'function') return done(new TypeError('latchkeyFastify needs { verifier }'));
  const verify = verifyNowOf(options.verifier);
  app.decorateRequest('identity', null);
  app.decorate('authenticate', authenticateHook(verify, false));
  app.decorate('authenticateOptional', authenticateHook(verify, true));
  done();
};

/** A callback-style hook: no promise per request on the cached path. */
function authenticateHook(verify: VerifyNow, optional: boolean): AuthenticateHook {
  return function latchkeyAuthenticate(request, reply, next) {
    const credential = credentialOf(request.headers);
    if (credential === null) return optional ? next() : sendProblem(reply, problems.unauthorized());
    if ('status' in credential) return sendProblem(reply, credential);
    let result;
    try {
      result = verify(credential.token);
    } catch (error) {
      return sendProblem(reply, problemFor(error));
    }
    if (!csrfSatisfied(credential, request.method, request.headers)) {
      if (result instanceof Promise) result.catch(() => {});
      return sendProblem(reply, problems.csrf());
    }
    if (result instanceof Promise) {
      result.then(
        (identity) => {
          request.identity = identity;
          next();
        },
        (error: unknown) => sendProblem(reply, problemFor(error)),
      );
      return;
    }
    request.identity = result;
    next();
  };
}

// Like fastify-plugin: the decorations belong to the app that registers the plugin.
Object.assign(latchkeyFastify, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@latchkey/node' });
