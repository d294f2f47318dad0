// buildApp(deps): the HTTP face of the service. Registers everything explicitly; never reads env.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChallengeService } from './domain/challenges.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerAuthRoutes } from './http/routes/auth.js';
import { registerHealthRoutes, type HealthChecks } from './http/routes/health.js';
import { registerSessionRoutes } from './http/routes/session.js';
import { buildSchemas } from './http/schemas.js';

export interface AppDeps {
  auth: ChallengeService;
  health: HealthChecks;
  /** True for an error that means a backing service is unreachable (answered 503, not 500). */
  isUnavailable: (error: unknown) => boolean;
  logger: Logger;
  http: {
    otpLength: number;
    bodyLimitBytes: number;
    trustProxy: boolean;
    /** The level of the one line logged per request (debug by default: production chooses). */
    requestLogLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'own': the route counts the client address itself (or not at all), so IP_REQUEST_LIMIT skips it. */
    addressLimit?: 'own';
  }
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

export function buildApp(deps: AppDeps): FastifyInstance {
  const level = deps.http.requestLogLevel;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: level === 'silent' ? new RequestLog('fatal', false) : new RequestLog(level, deps.logger.isLevelEnabled(level)),
    bodyLimit: deps.http.bodyLimitBytes,
    trustProxy: deps.http.trustProxy,
    // Strict bodies: no type coercion (a number is not quietly a string); unknown fields dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
  });

  registerErrorHandling(app, deps.isUnavailable);
  // IP_REQUEST_LIMIT: every route that does not count its client address itself (code requests
  // and verifies do, in the domain, with their own limits; /health is for the load balancer).
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.addressLimit !== 'own') await deps.auth.limitRequest(request.ip);
  });
  registerHealthRoutes(app, deps.health);
  registerAuthRoutes(app, deps.auth, buildSchemas(deps.http.otpLength));
  registerSessionRoutes(app, deps.auth);
  return app;
}
