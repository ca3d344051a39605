import type { Identity } from './identity.js';
import { problems, sendProblem, type Problem } from './lib/problem.js';

/**
 * A route guard usable both as Express middleware (`req, res, next`) and as a Fastify
 * `preHandler` (`request, reply, done`). It runs after authentication and answers `401`
 * when there is no identity, `403` when the identity lacks what it requires.
 */
export type Guard = (req: any, res: any, next: () => void) => void;

function guard(check: (identity: Identity, req: any) => Problem | null): Guard {
  return function latchkeyGuard(req, res, next) {
    const identity = (req as { identity?: Identity | null }).identity;
    const problem = identity ? check(identity, req) : problems.unauthorized();
    if (problem) return sendProblem(res, problem);
    next();
  };
}

/**
 * Lets through identities holding at least one of `roles`; others get `403 forbidden`.
 *
 * @example
 * ```ts
 * app.get('/admin/stats', requireRole('admin'), handler); // Express, after latchkeyExpress
 * app.get('/admin/stats', { onRequest: app.authenticate, preHandler: requireRole('admin') }, handler); // Fastify
 * ```
 */
export function requireRole(...roles: string[]): Guard {
  if (roles.length === 0) throw new TypeError('requireRole needs at least one role');
  return guard((identity) =>
    roles.some((r) => identity.roles.includes(r)) ? null : problems.forbidden('Your role does not allow this request.'),
  );
}

/**
 * Lets through tokens granted every one of `scopes`; others get `403 insufficient_scope`
 * with the scope named in `WWW-Authenticate` (RFC 6750 §3.1).
 *
 * @example
 * ```ts
 * app.post('/invoices', requireScope('invoices:write'), handler);
 * ```
 */
export function requireScope(...scopes: string[]): Guard {
  if (scopes.length === 0) throw new TypeError('requireScope needs at least one scope');
  return guard((identity) => (scopes.every((s) => identity.scopes.includes(s)) ? null : problems.insufficientScope(scopes)));
}

/**
 * Lets through identities of the given tenant: a fixed id, or one read from the request
 * (a route parameter, a header); others, and identities without a tenant, get `403 forbidden`.
 *
 * @example
 * ```ts
 * app.get('/tenants/:tenantId/orders', requireTenant((req) => req.params.tenantId), handler);
 * ```
 */
export function requireTenant(tenant: string | ((req: any) => string | undefined)): Guard {
  return guard((identity, req) => {
    const wanted = typeof tenant === 'function' ? tenant(req) : tenant;
    return identity.tenant_id !== null && wanted !== undefined && identity.tenant_id === wanted
      ? null
      : problems.forbidden('This request belongs to another tenant.');
  });
}
