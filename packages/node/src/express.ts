import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Verifier } from './create-verifier.js';
import type { Identity } from './identity.js';
import { credentialOf, csrfSatisfied } from './lib/credential.js';
import { problemFor, problems, sendProblem } from './lib/problem.js';
import { verifyNowOf } from './lib/verify-now.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `latchkeyExpress`: the verified identity, or null on an optional route without a token. */
      identity?: Identity | null;
    }
  }
}

export interface AuthenticateOptions {
  /** Let requests without any credential through with `identity = null` (default false). */
  optional?: boolean;
}

/** A middleware with Express's signature; it is also plain Node (`req`, `res`, `next`). */
export type ExpressMiddleware = (
  req: IncomingMessage & { identity?: Identity | null },
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express middleware: reads `Authorization: Bearer` or the `__Host-lk_at` cookie (cookie
 * requests with unsafe methods must send `X-CSRF-Token` equal to `__Host-lk_csrf`),
 * verifies the token, and sets `req.identity`; otherwise answers `401` with
 * `WWW-Authenticate: Bearer` (RFC 6750 §3), `403 csrf_failed`, or `503` when the verifier
 * cannot decide.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier, latchkeyExpress, requireRole } from '@latchkey/node';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://auth.example.com' });
 * const app = express();
 * app.use('/api', latchkeyExpress(verifier));
 * app.get('/api/me', (req, res) => res.json({ id: req.identity!.sub }));
 * app.get('/api/admin', requireRole('admin'), (req, res) => res.json({ ok: true }));
 * ```
 */
export function latchkeyExpress(verifier: Verifier, options: AuthenticateOptions = {}): ExpressMiddleware {
  const verify = verifyNowOf(verifier);
  return function latchkeyAuthenticate(req, res, next) {
    const credential = credentialOf(req.headers);
    if (credential === null) {
      if (options.optional) {
        req.identity = null;
        return next();
      }
      return sendProblem(res, problems.unauthorized());
    }
    if ('status' in credential) return sendProblem(res, credential);
    let result;
    try {
      result = verify(credential.token);
    } catch (error) {
      return sendProblem(res, problemFor(error));
    }
    if (!csrfSatisfied(credential, req.method, req.headers)) {
      // Settle a pending verification before answering, so no rejection goes unhandled.
      if (result instanceof Promise) result.catch(() => {});
      return sendProblem(res, problems.csrf());
    }
    if (result instanceof Promise) {
      result.then(
        (identity) => {
          req.identity = identity;
          next();
        },
        (error: unknown) => sendProblem(res, problemFor(error)),
      );
      return;
    }
    req.identity = result;
    next();
  };
}
