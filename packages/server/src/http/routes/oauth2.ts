import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { FIRST_PARTY_CLIENT_ID } from '../../core/config.js';
import { CsrfFailed, InvalidClient, OAuthError, Unauthorized } from '../../core/errors.js';
import { authorize } from '../../core/oauth/authorize.js';
import { errorResponseUrl, parseAuthorizationRequest } from '../../core/oauth/authorization-request.js';
import { authenticateClient, registerClient, type ClientCredentials } from '../../core/oauth/clients.js';
import { listConsents, revokeConsent } from '../../core/oauth/consent.js';
import { exchange } from '../../core/oauth/grants/index.js';
import { introspect } from '../../core/oauth/introspect.js';
import { revokeToken } from '../../core/oauth/revoke.js';
import { parseScope } from '../../core/oauth/scope.js';
import { userInfoForToken } from '../../core/oauth/userinfo.js';
import { authenticateAccessToken } from '../../core/sessions/authenticate.js';
import { csrfMatches, csrfTokenFor } from '../../core/sessions/csrf.js';
import type { ClientRecord, SessionRecord } from '../../ports.js';
import { authenticator, bearerToken, requestContext, requireRole } from '../authenticate.js';
import { ACCESS_COOKIE } from '../cookies.js';
import { errors } from '../schemas.js';
import { iso } from '../views.js';
import { consentPage, errorPage } from './oauth2-pages.js';

const FORM = 'application/x-www-form-urlencoded';
const BASIC_CHALLENGE = 'Basic realm="latchkey", charset="UTF-8"';
/** Endpoints a single-page app calls from another origin (no cookies: `*` is safe). */
const CORS_PATHS = new Set(['/oauth2/token', '/oauth2/revoke', '/oauth2/userinfo']);

/** Form parameters, single-valued; an empty one is treated as absent (RFC 6749 §3.1). */
function singleValued(raw: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The ${name.slice(0, 64)} parameter is repeated.`);
    if (typeof value === 'string' && value !== '') params[name] = value;
  }
  return params;
}

/** The form body of an OAuth endpoint; RFC 6749 §3.2 and RFC 7009/7662 use form encoding only. */
function formBody(request: FastifyRequest): Record<string, string> {
  const type = request.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith(FORM)) throw new OAuthError('invalid_request', `The body must be ${FORM}.`);
  const body = request.body;
  return singleValued(body && typeof body === 'object' ? (body as Record<string, unknown>) : {});
}

/** application/x-www-form-urlencoded decoding of a Basic credential part (RFC 6749 §2.3.1). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Which client authentication the request uses (RFC 6749 §2.3.1): HTTP Basic, the
 * client_secret in the body, or only client_id (`none`, public clients). More than one
 * method at once is refused (§2.3).
 */
function clientCredentials(request: FastifyRequest, params: Record<string, string>): ClientCredentials {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
    if (!match) throw new InvalidClient('malformed Authorization header');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new InvalidClient('malformed Basic credentials');
    let clientId: string;
    let secret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new InvalidClient('undecodable Basic credentials');
    }
    if (params.client_secret !== undefined) throw new OAuthError('invalid_request', 'Use only one client authentication method.');
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw new OAuthError('invalid_request', 'client_id differs from the authenticated client.');
    }
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (params.client_id === undefined) throw new InvalidClient('no client authentication');
  if (params.client_secret !== undefined) return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret };
  return { method: 'none', clientId: params.client_id, secret: null };
}

/** RFC 6749 §5.2: invalid_client is a 401 and a 401 carries a challenge. */
async function withClientChallenge<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidClient) reply.header('www-authenticate', BASIC_CHALLENGE);
    throw error;
  }
}

function clientView(client: ClientRecord, secret: string | null) {
  return {
    id: client.id,
    client_id: client.id,
    name: client.name,
    ...(secret !== null ? { client_secret: secret } : {}),
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    public: client.public,
    first_party: client.firstParty,
    token_endpoint_auth_method: client.public ? 'none' : 'client_secret_basic',
    created_at: iso(client.createdAt),
  };
}

const ClientView = Type.Object({
  id: Type.String(),
  client_id: Type.String(),
  name: Type.String(),
  client_secret: Type.Optional(Type.String({ description: 'Shown in this response only' })),
  redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  public: Type.Boolean(),
  first_party: Type.Boolean(),
  token_endpoint_auth_method: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

const ClientBody = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 128 })),
  client_id: Type.Optional(Type.String({ maxLength: 128 })),
  name: Type.Optional(Type.String({ maxLength: 100 })),
  secret: Type.Optional(Type.String({ maxLength: 512 })),
  client_secret: Type.Optional(Type.String({ maxLength: 512 })),
  redirect_uris: Type.Optional(Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 32 })),
  grant_types: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 8 })),
  scopes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 })),
  scope: Type.Optional(Type.String({ maxLength: 8192 })),
  public: Type.Optional(Type.Boolean()),
  first_party: Type.Optional(Type.Boolean()),
  token_endpoint_auth_method: Type.Optional(
    Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('none')]),
  ),
});

/**
 * The OAuth 2.0 authorization server and OpenID provider endpoints (API.md "OAuth 2.0 /
 * OpenID Connect"), the consent page, the consents a person can withdraw, and
 * POST /admin/clients. Form bodies are parsed in this plugin only.
 */
export function oauth2Routes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  const { deps, csrfKey, config } = latchkey;
  const requireAuth = authenticator(latchkey);
  const requireAdmin = requireRole(latchkey, 'admin');

  /** The person's first-party browser session from the access cookie, or null. */
  async function browserSession(request: FastifyRequest): Promise<SessionRecord | null> {
    const token = request.cookies[ACCESS_COOKIE];
    if (!token) return null;
    try {
      const { session } = await authenticateAccessToken(deps, token);
      return session.clientId === FIRST_PARTY_CLIENT_ID ? session : null;
    } catch (error) {
      if (error instanceof Unauthorized) return null;
      throw error;
    }
  }

  /** GET and POST /oauth2/authorize (OIDC Core §3.1.2.1 requires both), and the consent answer. */
  async function handleAuthorize(request: FastifyRequest, reply: FastifyReply, raw: Record<string, unknown>, consent?: 'allow' | 'deny') {
    // RFC 9700 §4.11: never 307 after a POST that may carry credentials.
    const redirectStatus = request.method === 'GET' ? 302 : 303;
    const parsed = await parseAuthorizationRequest(deps, raw);
    if (!parsed.ok) {
      const { failure } = parsed;
      if (failure.redirect)
        return reply.redirect(errorResponseUrl({ ...failure, redirect: failure.redirect }, config.issuer), redirectStatus);
      if (failure.error.debug) request.log.info({ code: failure.error.code, debug: failure.error.debug }, 'authorization request refused');
      // RFC 6749 §4.1.2.1: an untrusted client or redirect URI is never redirected to.
      return errorPage(request, reply, failure.error);
    }
    const browser = await browserSession(request);
    const step = await authorize(deps, { request: parsed.request, browser, consent, markerKey: csrfKey, ctx: requestContext(request) });
    switch (step.kind) {
      case 'redirect':
        return reply.redirect(step.location, redirectStatus);
      case 'login': {
        const login = `/login?return_to=${encodeURIComponent(step.returnTo)}${step.reauthenticate ? '&prompt=login' : ''}`;
        return reply.redirect(login, redirectStatus);
      }
      case 'consent':
        return consentPage(reply, { ...step, csrfToken: csrfTokenFor(csrfKey, browser!.id) });
    }
  }

  return async (app) => {
    await app.register(formbody, { bodyLimit: config.bodyLimit });

    // A callback hook, not an async one: it runs on every token request (no promise per request).
    app.addHook('onRequest', (request, reply, done) => {
      // RFC 6749 §5.1: responses with tokens (and the consent page's CSRF token) are not stored.
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const query = request.url.indexOf('?');
      if (CORS_PATHS.has(query === -1 ? request.url : request.url.slice(0, query))) reply.header('access-control-allow-origin', '*');
      done();
    });

    for (const path of CORS_PATHS) {
      app.options(path, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(204)
          .header('access-control-allow-methods', path === '/oauth2/userinfo' ? 'GET, POST' : 'POST')
          .header('access-control-allow-headers', 'authorization, content-type')
          .header('access-control-max-age', '600')
          .send(),
      );
    }

    app.get('/oauth2/authorize', { schema: { tags: ['oauth2'], summary: 'Authorization endpoint (RFC 6749 §3.1)' } }, (request, reply) =>
      handleAuthorize(request, reply, (request.query ?? {}) as Record<string, unknown>),
    );
    app.post(
      '/oauth2/authorize',
      { schema: { tags: ['oauth2'], summary: 'Authorization endpoint, form post (OIDC Core §3.1.2.1)' } },
      (request, reply) => {
        const type = request.headers['content-type'] ?? '';
        if (!type.toLowerCase().startsWith(FORM)) {
          return errorPage(request, reply, new OAuthError('invalid_request', `The body must be ${FORM}.`));
        }
        return handleAuthorize(request, reply, (request.body ?? {}) as Record<string, unknown>);
      },
    );

    app.post('/oauth2/consent', { schema: { tags: ['oauth2'], summary: 'The answer of the consent page' } }, async (request, reply) => {
      const type = request.headers['content-type'] ?? '';
      const body = (type.toLowerCase().startsWith(FORM) ? (request.body ?? {}) : {}) as Record<string, unknown>;
      const { csrf_token: csrfToken, decision, ...raw } = body;
      if (decision !== 'allow' && decision !== 'deny') {
        return errorPage(request, reply, new OAuthError('invalid_request', 'The consent answer is missing.'));
      }
      const browser = await browserSession(request);
      // No session: the authorize step sends the person to sign in and back.
      if (!browser) return handleAuthorize(request, reply, raw);
      if (typeof csrfToken !== 'string' || !csrfMatches(csrfKey, browser.id, csrfToken)) return errorPage(request, reply, new CsrfFailed());
      return handleAuthorize(request, reply, raw, decision);
    });

    app.post('/oauth2/token', { schema: { tags: ['oauth2'], summary: 'Token endpoint (RFC 6749 §3.2)' } }, async (request, reply) =>
      withClientChallenge(reply, async () => {
        const params = formBody(request);
        const client = await authenticateClient(deps, clientCredentials(request, params));
        return exchange(deps, { grantType: params.grant_type, client, params, ctx: requestContext(request) });
      }),
    );

    app.post('/oauth2/revoke', { schema: { tags: ['oauth2'], summary: 'Token revocation (RFC 7009)' } }, async (request, reply) =>
      withClientChallenge(reply, async () => {
        const params = formBody(request);
        const client = await authenticateClient(deps, clientCredentials(request, params));
        if (params.token === undefined) throw new OAuthError('invalid_request', 'The token parameter is required.');
        await revokeToken(deps, { client, token: params.token, ctx: requestContext(request) });
        // RFC 7009 §2.2: 200 whether or not the token was valid.
        return reply.code(200).send();
      }),
    );

    app.post('/oauth2/introspect', { schema: { tags: ['oauth2'], summary: 'Token introspection (RFC 7662)' } }, async (request, reply) =>
      withClientChallenge(reply, async () => {
        const params = formBody(request);
        const client = await authenticateClient(deps, clientCredentials(request, params));
        if (params.token === undefined) throw new OAuthError('invalid_request', 'The token parameter is required.');
        return introspect(deps, { client, token: params.token });
      }),
    );

    const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
      // RFC 6750 §2.1: the token comes in the Authorization header only (API.md "Transports").
      const token = bearerToken(request.headers.authorization ?? '', 'A bearer access token is required.');
      try {
        return await userInfoForToken(deps, token);
      } catch (error) {
        if (error instanceof Unauthorized) {
          reply.header('www-authenticate', 'Bearer realm="latchkey", error="invalid_token"');
          const translated = new OAuthError('invalid_token', error.description ?? 'The access token is invalid.', 401, error.debug);
          Object.assign(translated.extra, error.extra);
          throw translated;
        }
        if (error instanceof OAuthError && error.code === 'insufficient_scope') {
          reply.header('www-authenticate', 'Bearer realm="latchkey", error="insufficient_scope", scope="openid"');
        }
        throw error;
      }
    };
    app.get('/oauth2/userinfo', { schema: { tags: ['oauth2'], summary: 'UserInfo endpoint (OIDC Core §5.3)' } }, userinfo);
    app.post('/oauth2/userinfo', { schema: { tags: ['oauth2'], summary: 'UserInfo endpoint (OIDC Core §5.3)' } }, userinfo);

    app.get(
      '/oauth2/consents',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['oauth2'],
          summary: 'The apps the signed-in person has allowed',
          response: {
            200: Type.Object({
              consents: Type.Array(
                Type.Object({
                  client_id: Type.String(),
                  client_name: Type.String(),
                  scopes: Type.Array(Type.String()),
                  created_at: Type.String({ format: 'date-time' }),
                  updated_at: Type.String({ format: 'date-time' }),
                }),
              ),
            }),
            ...errors(401, 403),
          },
        },
      },
      async (request) => {
        const consents = await listConsents(deps, request.auth!.session.userId);
        return {
          consents: consents.map((c) => ({
            client_id: c.clientId,
            client_name: c.clientName,
            scopes: c.scopes,
            created_at: iso(c.createdAt),
            updated_at: iso(c.updatedAt),
          })),
        };
      },
    );

    app.delete(
      '/oauth2/consents/:clientId',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['oauth2'],
          summary: "Withdraw an app's access: the consent and every session it holds",
          params: Type.Object({ clientId: Type.String({ maxLength: 128 }) }),
          response: { 204: Type.Null(), ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await revokeConsent(deps, {
          userId: request.auth!.session.userId,
          clientId: request.params.clientId,
          ctx: requestContext(request),
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/admin/clients',
      {
        // Before body validation, so a stranger learns nothing from 400s.
        preValidation: requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'Register an OAuth client; a confidential client gets its secret in this response only',
          body: ClientBody,
          response: { 201: ClientView, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        let scopes = body.scopes;
        if (scopes === undefined && body.scope !== undefined) {
          // RFC 7591 §2 `scope`; an empty one registers a client without scopes.
          const parsed = body.scope.trim() === '' ? [] : parseScope(body.scope);
          if (!parsed) throw new OAuthError('invalid_request', 'The scope is malformed.');
          scopes = parsed;
        }
        const { client, secret } = await registerClient(
          deps,
          {
            id: body.id ?? body.client_id ?? '',
            name: body.name,
            secret: body.secret ?? body.client_secret,
            redirectUris: body.redirect_uris,
            grantTypes: body.grant_types,
            scopes,
            public: body.public ?? (body.token_endpoint_auth_method === 'none' ? true : undefined),
            firstParty: body.first_party,
          },
          requestContext(request),
        );
        return reply.code(201).send(clientView(client, secret));
      },
    );
  };
}
