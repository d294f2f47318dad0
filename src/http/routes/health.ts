// GET /health: 200 once every backing service answers, 503 naming the one that does not.
import type { FastifyInstance } from 'fastify';

export type HealthChecks = Record<string, () => Promise<void>>;

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  app.get('/health', async (request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          request.log.warn({ err: error, dependency: name }, 'health check failed');
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const healthy = results.every(([, state]) => state === 'ok');
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', ...Object.fromEntries(results) });
  });
}
