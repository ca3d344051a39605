import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { registerUser } from '../../core/accounts/register.js';
import { signIn } from '../../core/accounts/sign-in.js';
import { CsrfFailed, InvalidGrant } from '../../core/errors.js';
import { csrfTokenFor } from '../../core/sessions/csrf.js';
import { listOwnSessions, logout, logoutEverywhere, revokeOwnSession } from '../../core/sessions/own-sessions.js';
import { refreshSession } from '../../core/sessions/refresh-session.js';
import type { SessionGrant } from '../../core/sessions/start-session.js';
import { authenticator, csrfHeaderMatchesCookie, requestContext, type Transport as TransportName } from '../authenticate.js';
import { clearSessionCookies, REFRESH_COOKIE, setSessionCookies } from '../cookies.js';
import { Device, errors, Session, Transport, User } from '../schemas.js';
import { deviceView, iso, sessionView, userView } from '../views.js';

export const TokenBody = Type.Object({
  user: Type.Optional(User),
  session: Session,
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
});
export const CookieBody = Type.Object({ user: Type.Optional(User), session: Session, csrfToken: Type.String() });

/**
 * Hands a grant to the client in the transport it asked for: tokens in the body for
 * `bearer`, the three cookies (and the CSRF token) for `cookie`. Shared by every route
 * that ends in a session (login, MFA step, refresh).
 */
export function sessionDelivery(latchkey: Latchkey) {
  const { deps, csrfKey } = latchkey;
  return function deliver(reply: FastifyReply, grant: SessionGrant, transport: TransportName, includeUser: boolean) {
    const now = deps.clock.now();
    const session = sessionView(grant.session, grant.accessToken.expiresAt);
    const user = includeUser ? { user: userView(grant.user) } : {};
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (transport === 'bearer') {
      return {
        ...user,
        session,
        access_token: grant.accessToken.token,
        refresh_token: grant.refreshToken,
        token_type: 'Bearer' as const,
        expires_in: Math.max(0, Math.round((grant.accessToken.expiresAt - now) / 1000)),
      };
    }
    const csrfToken = csrfTokenFor(csrfKey, grant.session.id);
    setSessionCookies(reply, {
      session: grant.session,
      accessToken: grant.accessToken.token,
      accessExpiresAt: grant.accessToken.expiresAt,
      refreshToken: grant.refreshToken,
      csrfToken,
      now,
    });
    return { ...user, session, csrfToken };
  };
}

/** API.md "Account and session endpoints". */
export function authRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  const { deps, csrfKey } = latchkey;
  const requireAuth = authenticator(latchkey);
  const deliver = sessionDelivery(latchkey);

  return async (app) => {
    app.post(
      '/auth/register',
      {
        schema: {
          tags: ['account'],
          summary: 'Create an account',
          body: Type.Object({
            email: Type.String({ maxLength: 1024 }),
            password: Type.String({ maxLength: 4096 }),
            name: Type.String({ maxLength: 1024 }),
          }),
          response: { 201: Type.Object({ user: User }), ...errors(400, 409) },
        },
      },
      async (request, reply) => {
        // Only the three contract fields reach the core: unknown fields such as `roles` or
        // `tenantId` are ignored, never trusted (a self-registered admin would be a hole).
        const { email, password, name } = request.body;
        const user = await registerUser(deps, { email, password, name }, requestContext(request));
        return reply.code(201).send({ user: userView(user) });
      },
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign in with email and password',
          body: Type.Object({
            email: Type.String({ maxLength: 1024 }),
            password: Type.String({ maxLength: 4096 }),
            remember: Type.Optional(Type.Boolean()),
            transport: Type.Optional(Transport),
          }),
          response: { 200: Type.Union([TokenBody, CookieBody]), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { email, password, remember = false, transport = 'cookie' } = request.body;
        const grant = await signIn(deps, { email, password, remember, transport, ctx: requestContext(request) });
        return deliver(reply, grant, transport, true);
      },
    );

    app.post(
      '/auth/refresh',
      {
        schema: {
          tags: ['session'],
          summary: 'Rotate the refresh token and get a new access token',
          description: 'Bearer mode when the body has refresh_token; cookie mode (refresh cookie + X-CSRF-Token) otherwise.',
          body: Type.Object({ refresh_token: Type.Optional(Type.String({ maxLength: 1024 })) }),
          response: { 200: Type.Union([TokenBody, CookieBody]), ...errors(400, 401, 403) },
        },
        // API.md: a cookie-mode refresh needs no body. Fastify validates even an absent
        // body against the schema, so an absent one is read as `{}`.
        preValidation: async (request) => {
          if (request.body === undefined) request.body = {};
        },
      },
      async (request, reply) => {
        const ctx = requestContext(request);
        const bodyToken = request.body.refresh_token;
        if (bodyToken !== undefined) return deliver(reply, await refreshSession(deps, { refreshToken: bodyToken, ctx }), 'bearer', false);
        const cookieToken = request.cookies[REFRESH_COOKIE];
        if (!cookieToken) throw new InvalidGrant('No refresh token was presented.');
        if (!csrfHeaderMatchesCookie(request)) throw new CsrfFailed();
        const csrf = { key: csrfKey, token: request.headers['x-csrf-token'] as string };
        try {
          return deliver(reply, await refreshSession(deps, { refreshToken: cookieToken, ctx, csrf }), 'cookie', false);
        } catch (error) {
          if (error instanceof InvalidGrant && error.extra.reason) clearSessionCookies(reply);
          throw error;
        }
      },
    );

    app.post(
      '/auth/logout',
      {
        preValidation: requireAuth,
        schema: { tags: ['session'], summary: 'End this session', response: { 204: Type.Null(), ...errors(401, 403) } },
      },
      async (request, reply) => {
        await logout(deps, request.auth!, requestContext(request));
        if (request.auth!.transport === 'cookie') clearSessionCookies(reply);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/logout-all',
      {
        preValidation: requireAuth,
        schema: { tags: ['session'], summary: 'End every session of this user', response: { 204: Type.Null(), ...errors(401, 403) } },
      },
      async (request, reply) => {
        await logoutEverywhere(deps, request.auth!, requestContext(request));
        if (request.auth!.transport === 'cookie') clearSessionCookies(reply);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/auth/session',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['session'],
          summary: 'Who is signed in, and the session',
          response: {
            200: Type.Object({ user: User, session: Session, accessTokenExpiresAt: Type.String({ format: 'date-time' }) }),
            ...errors(401),
          },
        },
      },
      async (request, reply) => {
        const { session, claims } = request.auth!;
        const user = await deps.users.findById(session.userId);
        const accessExpiresAt = claims.exp * 1000;
        reply.header('cache-control', 'no-store');
        return {
          user: user
            ? userView(user)
            : { id: claims.sub, email: claims.email ?? '', name: claims.name, roles: claims.roles, tenant_id: claims.tenant_id ?? null },
          session: sessionView(session, accessExpiresAt),
          accessTokenExpiresAt: iso(accessExpiresAt),
        };
      },
    );

    app.get(
      '/auth/sessions',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['session'],
          summary: 'The devices signed in to this account',
          response: { 200: Type.Object({ sessions: Type.Array(Device) }), ...errors(401) },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return { sessions: (await listOwnSessions(deps, request.auth!)).map(deviceView) };
      },
    );

    app.delete(
      '/auth/sessions/:id',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['session'],
          summary: 'Sign out one device',
          params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
          response: { 204: Type.Null(), ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await revokeOwnSession(deps, request.auth!, request.params.id, requestContext(request));
        if (request.params.id === request.auth!.session.id && request.auth!.transport === 'cookie') clearSessionCookies(reply);
        return reply.code(204).send(null);
      },
    );
  };
}
