import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import type { Health } from '../../ports.js';

const READY_TIMEOUT_MS = 2000;

function withTimeout(check: Health, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    check.check().then(
      () => (clearTimeout(timer), resolve()),
      (error: unknown) => (clearTimeout(timer), reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/** /healthz (the process answers), /readyz (its dependencies answer), /metrics. */
export function operationsRoutes(latchkey: Latchkey, extraHealth: Record<string, Health> = {}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
      status: 'ok' as const,
    }));

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          response: {
            200: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
            503: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
          },
        },
      },
      async (request, reply) => {
        const checks: Record<string, Health> = { database: latchkey.stores.health, ...extraHealth };
        const results: Record<string, string> = {};
        await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            try {
              await withTimeout(check, READY_TIMEOUT_MS);
              results[name] = 'ok';
            } catch (error) {
              request.log.warn({ check: name, err: error }, 'readiness check failed');
              results[name] = 'unavailable';
            }
          }),
        );
        const ready = Object.values(results).every((r) => r === 'ok');
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: results });
      },
    );

    app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
      const body = await latchkey.metrics.registry.metrics();
      return reply.header('content-type', latchkey.metrics.registry.contentType).send(body);
    });
  };
}
