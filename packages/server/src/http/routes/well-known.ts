import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Latchkey } from '../../app.js';
import { serverMetadata } from '../../core/oauth/discovery.js';

/** Public keys (RFC 7517). Resource servers cache this; a rotated-out key stays until its tokens expire. */
export function wellKnownRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/.well-known/jwks.json', { schema: { tags: ['discovery'], summary: 'JSON Web Key Set' } }, async (_request, reply) => {
      await latchkey.deps.keyRing.maybeReload();
      return reply
        .header('cache-control', 'public, max-age=300')
        .header('access-control-allow-origin', '*')
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify(latchkey.deps.keyRing.jwks()));
    });

    // RFC 8414 §3 and OIDC Discovery §4: one metadata document at both paths; public, so
    // single-page apps on other origins may read it.
    const metadata = JSON.stringify(serverMetadata(latchkey.config));
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      app.get(path, { schema: { tags: ['discovery'], summary: 'Authorization server metadata' } }, async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=300')
          .header('access-control-allow-origin', '*')
          .header('content-type', 'application/json; charset=utf-8')
          .send(metadata),
      );
    }
  };
}
