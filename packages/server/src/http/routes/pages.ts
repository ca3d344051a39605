import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { type EndReason, TemporarilyUnavailable, Unauthorized } from '../../core/errors.js';
import { authenticateAccessToken, type Authenticated } from '../../core/sessions/authenticate.js';
import { ACCESS_COOKIE, clearSessionCookies, CSRF_COOKIE } from '../cookies.js';
import { accountPage } from '../pages/account-page.js';
import { adminPage } from '../pages/admin-page.js';
import { loadAssets } from '../pages/assets.js';
import { errorPage } from '../pages/error-page.js';
import { forgotPasswordPage } from '../pages/forgot-password-page.js';
import { PAGE_CSP } from '../pages/layout.js';
import { loginPage } from '../pages/login-page.js';
import { resetPasswordPage } from '../pages/reset-password-page.js';

/** What the cookies of a page request say about the visitor. */
type Visitor =
  | { kind: 'signed-in'; auth: Authenticated }
  /** The session behind the access cookie has ended, and the server knows why. */
  | { kind: 'ended'; reason: EndReason }
  /** No usable access token, but a csrf cookie: the session may be renewable; the page's script will try. */
  | { kind: 'maybe' }
  | { kind: 'signed-out' };

const hidden = { schema: { hide: true } };

/**
 * API.md "Pages": /login, /account and /admin, /forgot-password and /reset-password (the
 * page the reset mail links to), plus the scripts and styles they load
 * from /assets/. The pages are shells: the data comes from /auth/* and /admin/* through
 * @latchkey/browser, so a page never carries a token or another person's data.
 */
export function pagesRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  const { deps, config } = latchkey;
  const assets = loadAssets();
  if (assets.size === 0) latchkey.logger.warn({}, 'page assets are missing: run `npm run build` so /login, /account and /admin work');

  async function visitor(request: FastifyRequest): Promise<Visitor> {
    const token = request.cookies[ACCESS_COOKIE];
    if (token) {
      try {
        return { kind: 'signed-in', auth: await authenticateAccessToken(deps, token) };
      } catch (error) {
        if (!(error instanceof Unauthorized)) throw error;
        const reason = error.extra.reason as EndReason | undefined;
        if (reason) return { kind: 'ended', reason };
      }
    }
    return request.cookies[CSRF_COOKIE] ? { kind: 'maybe' } : { kind: 'signed-out' };
  }

  function page(reply: FastifyReply, status: number, html: string): FastifyReply {
    return reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('cache-control', 'no-store')
      .send(html);
  }

  /** To /login, coming back to `returnTo` afterwards; `reason` says why the last session ended. */
  function toLogin(reply: FastifyReply, returnTo: string, reason?: EndReason): FastifyReply {
    const query = new URLSearchParams(reason ? { reason, return_to: returnTo } : { return_to: returnTo });
    if (reason) clearSessionCookies(reply); // the cookies belong to an ended session
    return reply.code(303).header('cache-control', 'no-store').redirect(`/login?${query}`);
  }

  /** The page, or a plain 503 page when the database cannot say who is asking. */
  async function gate(request: FastifyRequest, reply: FastifyReply, handle: (v: Visitor) => FastifyReply): Promise<FastifyReply> {
    try {
      return handle(await visitor(request));
    } catch (error) {
      if (!(error instanceof TemporarilyUnavailable)) throw error;
      return page(
        reply.header('retry-after', '5'),
        503,
        errorPage({
          now: deps.clock.now(),
          title: 'Temporarily unavailable',
          message: 'The service cannot answer right now. Try again in a moment.',
        }),
      );
    }
  }

  return async (app) => {
    app.get('/', hidden, async (_request, reply) => reply.code(303).redirect('/account'));

    app.get('/login', hidden, async (_request, reply) =>
      page(reply, 200, loginPage({ now: deps.clock.now(), sessionTtl: config.sessionTtl, rememberTtl: config.rememberTtl })),
    );

    app.get('/forgot-password', hidden, async (_request, reply) => page(reply, 200, forgotPasswordPage({ now: deps.clock.now() })));

    // The reset token is in the fragment (never sent here); no-referrer all the same, so
    // nothing about this page travels with a link followed from it.
    app.get('/reset-password', hidden, async (_request, reply) =>
      page(reply.header('referrer-policy', 'no-referrer'), 200, resetPasswordPage({ now: deps.clock.now() })),
    );

    app.get('/account', hidden, async (request, reply) =>
      gate(request, reply, (v) => {
        if (v.kind === 'signed-out') return toLogin(reply, '/account');
        if (v.kind === 'ended') return toLogin(reply, '/account', v.reason);
        return page(reply, 200, accountPage({ now: deps.clock.now() }));
      }),
    );

    // Role admin only: anyone else gets the sign-in page or a 403 page, never data.
    app.get('/admin', hidden, async (request, reply) =>
      gate(request, reply, (v) => {
        if (v.kind === 'ended') return toLogin(reply, '/admin', v.reason);
        if (v.kind !== 'signed-in') return toLogin(reply, '/admin');
        if (!v.auth.claims.roles.includes('admin')) {
          return page(
            reply,
            403,
            errorPage({
              now: deps.clock.now(),
              title: 'Not allowed',
              message: 'This page is for administrators. You are signed in, but your account does not have the admin role.',
            }),
          );
        }
        return page(reply, 200, adminPage({ now: deps.clock.now() }));
      }),
    );

    app.get(
      '/assets/:name',
      { schema: { hide: true, params: Type.Object({ name: Type.String({ pattern: '^[a-z0-9-]+\\.(js|css|svg)$', maxLength: 64 }) }) } },
      async (request, reply) => {
        const asset = assets.get(request.params.name);
        if (!asset) {
          return reply
            .code(404)
            .header('content-type', 'application/json; charset=utf-8')
            .send({ error: 'not_found', error_description: 'No such asset.' });
        }
        reply.header('content-type', asset.type).header('etag', asset.etag).header('cache-control', 'no-cache');
        if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
        return reply.send(asset.body);
      },
    );
  };
}
