// buildApp(deps): the HTTP face of the service. Registers everything explicitly; never reads env.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChallengeService } from './domain/challenges.js';
import type { Events } from './domain/ports.js';
import { registerApiDocs } from './http/docs.js';
import { refusalOf, registerErrorHandling } from './http/error-handler.js';
import { registerHygiene } from './http/hygiene.js';
import { registerMetrics } from './http/metrics.js';
import { registerAuthRoutes } from './http/routes/auth.js';
import { registerHealthRoutes, type HealthChecks } from './http/routes/health.js';
import { registerSessionRoutes } from './http/routes/session.js';
import { buildSchemas } from './http/schemas.js';
import { requestIdFrom, type RequestContext } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';

export interface AppDeps {
  auth: ChallengeService;
  health: HealthChecks;
  /** True for an error that means a backing service is unreachable (answered 503, not 500). */
  isUnavailable: (error: unknown) => boolean;
  logger: Logger;
  /** Metrics and security events; every refused request is reported with its code. */
  events: Events;
  /** Binds each request's logger for the domain's log lines. */
  context: RequestContext;
  /** Absent with METRICS_ENABLED=false; `serveHere` false when METRICS_PORT has its own listener. */
  metrics?: { metrics: Metrics; serveHere: boolean };
  http: {
    apiDocs: boolean;
    corsOrigins: string[];
    version: string;
    otpLength: number;
    bodyLimitBytes: number;
    trustProxy: boolean;
    /** The level of the one line logged per request (debug by default: production chooses). */
    requestLogLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
}

type Level = AppDeps['http']['requestLogLevel'];

/** One line per request, at a level production chooses; nothing at all when that level is off. */
class RequestLog extends LogController {
  constructor(private readonly level: Exclude<Level, 'silent'>, enabled: boolean) {
    super({ disableRequestLogging: !enabled });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    request.log[this.level](
      { method: request.method, url: request.routeOptions.url ?? request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      error == null ? 'request completed' : 'request errored',
    );
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const level = deps.http.requestLogLevel;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: level === 'silent' ? new RequestLog('fatal', false) : new RequestLog(level, deps.logger.isLevelEnabled(level)),
    bodyLimit: deps.http.bodyLimitBytes,
    trustProxy: deps.http.trustProxy,
    // X-Request-Id is taken from a client only when it looks like an id (it reaches every log line).
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id'], randomUUID),
    // Strict bodies: no type coercion (a number is not quietly a string); unknown fields dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
  });

  await registerApiDocs(app, { serve: deps.http.apiDocs, version: deps.http.version });
  await registerHygiene(app, { corsOrigins: deps.http.corsOrigins, context: deps.context });
  if (deps.metrics !== undefined) registerMetrics(app, deps.metrics.metrics, { serveHere: deps.metrics.serveHere });
  app.addHook('onResponse', async (request, reply) => {
    const refused = refusalOf(request);
    if (refused !== undefined) deps.events.refusal(refused, reply.statusCode);
  });
  registerErrorHandling(app, deps.isUnavailable);
  registerHealthRoutes(app, deps.health);
  registerAuthRoutes(app, deps.auth, buildSchemas(deps.http.otpLength));
  registerSessionRoutes(app, deps.auth);
  return app;
}
