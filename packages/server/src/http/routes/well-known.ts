import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Latchkey } from '../../app.js';

/** Public keys (RFC 7517). Resource servers cache this; a rotated-out key stays until its tokens expire. */
export function wellKnownRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/.well-known/jwks.json', { schema: { tags: ['discovery'], summary: 'JSON Web Key Set' } }, async (_request, reply) => {
      await latchkey.deps.keyRing.maybeReload();
      return reply
        .header('cache-control', 'public, max-age=300')
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify(latchkey.deps.keyRing.jwks()));
    });
  };
}
