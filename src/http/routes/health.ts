// GET /health: 200 once every backing service answers, 503 naming the one that does not.
import type { FastifyInstance } from 'fastify';

export type HealthChecks = Record<string, () => Promise<void>>;

/** A dependency that does not answer in this time counts as down (a hung pool must not hang /health). */
const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  app.get('/health', { config: { addressLimit: 'own' } }, async (request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check);
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
