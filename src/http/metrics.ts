// HTTP side of the metrics: every answer timed by route pattern, and GET /metrics in Prometheus
// text format, on the main port or (METRICS_PORT) on a listener of its own.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';

/** Route patterns only: a URL (with ids, numbers, query strings) would make the labels unbounded. */
const UNMATCHED = 'unmatched';

function registerScrapeRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics (text format 0.0.4)' } },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}

export function registerMetrics(app: FastifyInstance, metrics: Metrics, options: { serveHere: boolean }): void {
  // A callback hook, not an async one: no promise per answer.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  if (options.serveHere) registerScrapeRoute(app, metrics);
}

/** The METRICS_PORT listener: /metrics and nothing else, no request logging. */
export function createMetricsServer(metrics: Metrics): FastifyInstance {
  const server = Fastify({ logger: false });
  registerScrapeRoute(server, metrics);
  return server;
}
