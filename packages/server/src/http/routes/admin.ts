import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { blockUser, revokeUserSessions, unblockUser } from '../../core/admin/block-user.js';
import { rotateSigningKey } from '../../core/admin/rotate-signing-key.js';
import type { AuditRecord, UserRecord } from '../../ports.js';
import { requestContext, requireRole } from '../authenticate.js';
import { errors, User } from '../schemas.js';
import { iso, userView } from '../views.js';

const AdminUser = Type.Object({
  ...User.properties,
  status: Type.Union([Type.Literal('active'), Type.Literal('blocked')]),
  createdAt: Type.String({ format: 'date-time' }),
});

const AuditEventBody = Type.Object({
  id: Type.String(),
  type: Type.String(),
  severity: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
  data: Type.Record(Type.String(), Type.Unknown()),
});

// Query strings are never coerced (API.md), so numbers arrive as digits to check here.
const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: '1 to 200 (default 50)' });
const UserCursor = Type.String({ maxLength: 128 });
// Audit ids are the cursor: 10 base-36 time digits and 12 hex digits (store/audit-store.ts).
const AuditCursor = Type.String({ pattern: '^[0-9a-z]{10}[0-9a-f]{12}$' });
const UserId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

function adminUserView(user: UserRecord) {
  return { ...userView(user), status: user.status, createdAt: iso(user.createdAt) };
}

function auditView(event: AuditRecord) {
  return { ...event, at: iso(event.at) };
}

/** API.md "Admin": users, blocking, sessions, the audit log and key rotation; role `admin` only. */
export function adminRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  const { deps, stores } = latchkey;
  const admin = requireRole(latchkey, 'admin');
  const adminId = (request: { auth: { session: { userId: string } } | null }) => request.auth!.session.userId;

  return async (app) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });

    app.get(
      '/admin/users',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: 'Search users by email or name',
          querystring: Type.Object({
            query: Type.Optional(Type.String({ maxLength: 256 })),
            cursor: Type.Optional(UserCursor),
            limit: Type.Optional(Limit),
          }),
          response: {
            200: Type.Object({ users: Type.Array(AdminUser), next: Type.Union([Type.String(), Type.Null()]) }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (request) => {
        const { query = '', cursor, limit = '50' } = request.query;
        const page = await deps.users.search(query.trim(), cursor || null, Number(limit));
        return { users: page.users.map(adminUserView), next: page.next };
      },
    );

    app.post(
      '/admin/users/:id/block',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: 'Block a user: sign-in refused, every session revoked at once',
          params: UserId,
          response: { 200: Type.Object({ user: AdminUser, revokedSessions: Type.Integer() }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { user, revokedSessions } = await blockUser(deps, {
          userId: request.params.id,
          adminId: adminId(request),
          ctx: requestContext(request),
        });
        return { user: adminUserView(user), revokedSessions: revokedSessions.length };
      },
    );

    app.post(
      '/admin/users/:id/unblock',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: 'Unblock a user',
          params: UserId,
          response: { 200: Type.Object({ user: AdminUser }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const user = await unblockUser(deps, { userId: request.params.id, adminId: adminId(request), ctx: requestContext(request) });
        return { user: adminUserView(user) };
      },
    );

    app.post(
      '/admin/users/:id/revoke-sessions',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: "End every session of a user (reason 'admin')",
          params: UserId,
          response: { 200: Type.Object({ revokedSessions: Type.Integer() }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const ended = await revokeUserSessions(deps, {
          userId: request.params.id,
          adminId: adminId(request),
          ctx: requestContext(request),
        });
        return { revokedSessions: ended.length };
      },
    );

    app.get(
      '/admin/audit',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: 'The audit log, newest first',
          querystring: Type.Object({
            user_id: Type.Optional(Type.String({ maxLength: 128 })),
            type: Type.Optional(Type.String({ maxLength: 64 })),
            cursor: Type.Optional(AuditCursor),
            limit: Type.Optional(Limit),
          }),
          response: {
            200: Type.Object({ events: Type.Array(AuditEventBody), next: Type.Union([Type.String(), Type.Null()]) }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (request) => {
        const { user_id, type, cursor, limit = '50' } = request.query;
        const page = await stores.audit.query({
          userId: user_id || undefined,
          type: type || undefined,
          cursor: cursor || null,
          limit: Number(limit),
        });
        return { events: page.events.map(auditView), next: page.next };
      },
    );

    app.post(
      '/admin/keys/rotate',
      {
        preValidation: admin,
        schema: {
          tags: ['admin'],
          summary: 'Start signing with a new key; the old one verifies until its tokens expire',
          response: { 200: Type.Object({ kid: Type.String(), alg: Type.String() }), ...errors(401, 403) },
        },
      },
      async (request) => rotateSigningKey(deps, { adminId: adminId(request), ctx: requestContext(request) }),
    );
  };
}
