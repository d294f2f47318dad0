// buildApp(deps): the HTTP face of the service. Registers everything explicitly; never reads env.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChallengeService } from './domain/challenges.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerAuthRoutes } from './http/routes/auth.js';
import { registerHealthRoutes, type HealthChecks } from './http/routes/health.js';
import { registerSessionRoutes } from './http/routes/session.js';
import { registerWebhookRoutes, type TwilioStatusWebhook } from './http/routes/webhooks.js';
import { buildSchemas } from './http/schemas.js';

export interface AppDeps {
  auth: ChallengeService;
  health: HealthChecks;
  /** True for an error that means a backing service is unreachable (answered 503, not 500). */
  isUnavailable: (error: unknown) => boolean;
  logger: Logger;
  /** Twilio's delivery receipts, when TWILIO_STATUS_CALLBACK_URL is set. */
  twilioStatus?: TwilioStatusWebhook;
  http: {
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
  registerHealthRoutes(app, deps.health);
  registerAuthRoutes(app, deps.auth, buildSchemas(deps.http.otpLength));
  registerSessionRoutes(app, deps.auth);
  if (deps.twilioStatus !== undefined) registerWebhookRoutes(app, deps.twilioStatus);
  return app;
}
