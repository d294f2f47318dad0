// The ceiling of a benchmark run: a bare Fastify route in the same kind of process as the service
// (its own node process, NODE_ENV=production, no logger), measured exactly like the service's routes.
// POST /echo parses a small JSON body and answers a small JSON envelope; GET /health answers 200.
// BASELINE_WORK_MICROSECONDS (wakeup-cost.ts only; the bench never sets it) adds that much
// synthetic work (a spin, burn.ts) to each /echo: a slower server on the same sockets.
import Fastify from 'fastify';
import { burnWall } from './burn.js';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  const workMicroseconds = Number(process.env.BASELINE_WORK_MICROSECONDS ?? '0');
  app.post('/echo', async (request) => {
    if (workMicroseconds > 0) burnWall(workMicroseconds);
    const body = request.body as { id?: unknown } | undefined;
    return { success: true, message: 'echo', data: { id: body?.id ?? null } };
  });
  app.get('/health', async () => ({ status: 'ok' }));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? '0') });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
