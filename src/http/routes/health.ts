// GET /health: liveness (the process answers; nothing else is asked).
// GET /ready: readiness: 200 once every dependency answers (database, Redis when configured,
// migrations applied), 503 naming what failed. A load balancer sends traffic on /ready.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export type HealthChecks = Record<string, () => Promise<void>>;

/** A dependency that does not answer in this time counts as down (a hung pool must not hang /ready). */
const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

const State = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
const Readiness = Type.Object(
  { status: State, failed: Type.Optional(Type.Array(Type.String(), { description: 'The dependencies that did not answer' })) },
  { additionalProperties: State, description: 'status, and one entry per dependency: database, redis (when configured), migrations' },
);

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  app.get(
    '/health',
    {
      config: { addressLimit: 'own' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers (no dependency is asked)',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { addressLimit: 'own' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database, Redis (when configured) and migrations; 503 naming what failed',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check);
            return [name, 'ok'] as const;
          } catch (error) {
            request.log.warn({ err: error, dependency: name }, 'readiness check failed');
            return [name, 'unavailable'] as const;
          }
        }),
      );
      const failed = results.filter(([, state]) => state !== 'ok').map(([name]) => name);
      const body = { status: failed.length === 0 ? 'ok' : 'unavailable', ...Object.fromEntries(results) };
      return reply.code(failed.length === 0 ? 200 : 503).send(failed.length === 0 ? body : { ...body, failed });
    },
  );
}
