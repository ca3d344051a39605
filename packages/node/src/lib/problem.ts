import type { ServerResponse } from 'node:http';
import { TokenRevokedError, VerifyError } from '../errors.js';

/** A refusal as API.md shapes it: `{error, error_description}` plus RFC 6750 headers. */
export interface Problem {
  status: 401 | 403 | 503;
  error: string;
  description: string;
  /** `WWW-Authenticate` value (RFC 6750 §3). */
  challenge?: string;
  extra?: Record<string, unknown>;
}

const REALM = 'Bearer realm="latchkey"';
const quoted = (text: string) => text.replace(/["\\]/g, '');

export const problems = {
  /** RFC 6750 §3.1: no credential at all, so no error code in the challenge. */
  unauthorized: (): Problem => ({ status: 401, error: 'unauthorized', description: 'Authentication is required.', challenge: REALM }),
  invalidToken: (description: string, extra?: Record<string, unknown>): Problem => ({
    status: 401,
    error: 'unauthorized',
    description,
    challenge: `${REALM}, error="invalid_token", error_description="${quoted(description)}"`,
    ...(extra ? { extra } : {}),
  }),
  csrf: (): Problem => ({ status: 403, error: 'csrf_failed', description: 'The X-CSRF-Token header is missing or does not match.' }),
  /** RFC 6750 §3.1 `insufficient_scope`, naming the scope needed. */
  insufficientScope: (scopes: readonly string[]): Problem => ({
    status: 403,
    error: 'insufficient_scope',
    description: `This request needs the scope ${scopes.join(' ')}.`,
    challenge: `${REALM}, error="insufficient_scope", scope="${quoted(scopes.join(' '))}"`,
  }),
  forbidden: (description: string): Problem => ({ status: 403, error: 'forbidden', description }),
  unavailable: (description: string): Problem => ({ status: 503, error: 'temporarily_unavailable', description }),
};

/** The answer for an error thrown by a verifier; anything unexpected is a 503, not a 500 with details. */
export function problemFor(error: unknown): Problem {
  if (error instanceof VerifyError) {
    if (error.status === 503) return problems.unavailable(error.message);
    return problems.invalidToken(error.message, error instanceof TokenRevokedError ? { reason: 'revoked' } : undefined);
  }
  return problems.unavailable('Tokens cannot be verified right now.');
}

/** Fastify's reply, as far as we use it. */
interface ReplyLike {
  raw: ServerResponse;
  code(status: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(payload: string): unknown;
}

function isReply(target: unknown): target is ReplyLike {
  return typeof (target as ReplyLike).code === 'function' && typeof (target as ReplyLike).raw === 'object';
}

/** Writes the problem to a Fastify reply or a Node/Express response. */
export function sendProblem(target: ServerResponse | ReplyLike, problem: Problem): void {
  const body = JSON.stringify({ error: problem.error, error_description: problem.description, ...problem.extra });
  if (isReply(target)) {
    target.code(problem.status).header('content-type', 'application/json; charset=utf-8');
    if (problem.challenge) target.header('www-authenticate', problem.challenge);
    if (problem.status === 503) target.header('retry-after', '1');
    target.send(body);
    return;
  }
  if (target.headersSent) return void target.end();
  target.statusCode = problem.status;
  target.setHeader('content-type', 'application/json; charset=utf-8');
  target.setHeader('content-length', Buffer.byteLength(body));
  if (problem.challenge) target.setHeader('www-authenticate', problem.challenge);
  if (problem.status === 503) target.setHeader('retry-after', '1');
  target.end(body);
}
