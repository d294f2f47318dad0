// Headers every answer carries (@fastify/helmet), CORS for the origins in CORS_ORIGINS (@fastify/cors),
// and the request id: an incoming X-Request-Id is kept when it looks like an id, and always returned.
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '../observability/logger.js';

export async function registerHygiene(app: FastifyInstance, options: { corsOrigins: string[]; context: RequestContext }): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Everything after this hook (handler, domain, stores) logs with this request's id.
    options.context.run(request.log, done);
  });
  // Swagger UI's own pages set their own policy (see docs.ts); every other answer gets helmet's.
  await app.register(helmet, { global: true });
  if (options.corsOrigins.length === 0) return;
  const allowed = new Set(options.corsOrigins);
  await app.register(cors, {
    // An unlisted origin gets no CORS header at all, credentials included.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after'],
  });
}
