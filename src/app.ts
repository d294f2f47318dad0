// buildApp(deps): the HTTP face of the service. Registers everything explicitly; never reads env.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { TrustProxy } from './config.js';
import type { ChallengeService } from './domain/challenges.js';
import type { CaptchaGuard } from './http/captcha.js';
import { createClientAddress, createClientLocator } from './http/client-address.js';
import type { PublicJwk } from './domain/keys.js';
import type { SessionService } from './domain/sessions.js';
import type { Events } from './domain/ports.js';
import { registerApiDocs } from './http/docs.js';
import { answerClientError, answerFrameworkError, refusalOf, registerErrorHandling } from './http/error-handler.js';
import { registerHygiene } from './http/hygiene.js';
import { registerMetrics } from './http/metrics.js';
import { registerAuthRoutes } from './http/routes/auth.js';
import { registerHealthRoutes, type HealthChecks } from './http/routes/health.js';
import { registerJwksRoute } from './http/routes/jwks.js';
import { registerSessionRoutes } from './http/routes/session.js';
import { registerWebhookRoutes, type TwilioStatusWebhook } from './http/routes/webhooks.js';
import { registerWebRoutes, type WebSettings } from './http/routes/web.js';
import { registerCookieMode, type CookieModeSettings } from './http/session-cookie.js';
import { buildSchemas } from './http/schemas.js';
import { DeferredChild, requestIdFrom, type RequestContext } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';

export interface AppDeps {
  auth: ChallengeService;
  sessions: SessionService;
  /** The public keys published at /.well-known/jwks.json. */
  jwks: { keys: PublicJwk[] };
  health: HealthChecks;
  /** True for an error that means a backing service is unreachable (answered 503, not 500). */
  isUnavailable: (error: unknown) => boolean;
  logger: Logger;
  /** Set when CAPTCHA_PROVIDER is: the routes that send a code then require a solved captcha. */
  captcha?: CaptchaGuard | undefined;
  /** Metrics and security events; every refused request is reported with its code. */
  events: Events;
  /** Binds each request's logger for the domain's log lines. */
  context: RequestContext;
  /** Absent with METRICS_ENABLED=false; `serveHere` false when METRICS_PORT has its own listener. */
  metrics?: { metrics: Metrics; serveHere: boolean };
  /** Twilio's delivery receipts, when TWILIO_STATUS_CALLBACK_URL is set. */
  twilioStatus?: TwilioStatusWebhook;
  /** Cookie mode (X-Session-Mode: cookie): where browsers may call from. */
  cookieMode: CookieModeSettings;
  /** WEB_UI: the sign-in page at GET / (undefined: no page). */
  web?: WebSettings | undefined;
  http: {
    apiDocs: boolean;
    corsOrigins: string[];
    version: string;
    otpLength: number;
    bodyLimitBytes: number;
    trustProxy: TrustProxy;
    /** A request's headers and body must arrive within this (a connection that sends nothing gets 408 after it). */
    requestTimeoutMs: number;
    /** A connection silent this long is closed: it must outlast the longest a handler may take to answer. */
    silentConnectionTimeoutMs: number;
    /** An idle kept-alive connection is closed after this. */
    keepAliveTimeoutMs: number;
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address as the per-address limit's key (see http/client-address.ts). */
    readonly clientAddress: string;
    /** The client's IP address itself, for a vendor that wants it (captcha); undefined when unknown. */
    readonly clientIp: string | undefined;
  }
}

/** What an unknown route is logged as: its path, never its query string (which may hold a code or token). */
const MAX_LOGGED_PATH = 200;
function loggedUrl(request: FastifyRequest): string {
  if (request.routeOptions.url !== undefined) return request.routeOptions.url;
  const path = request.url.split('?', 1)[0]!;
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}...` : path;
}

/** One line per request, at a level production chooses; nothing at all when that level is off. */
class RequestLog extends LogController {
  constructor(private readonly level: Exclude<Level, 'silent'>, enabled: boolean) {
    super({ disableRequestLogging: !enabled });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return; // the line (and its client address) is not worked out at all
    request.log[this.level](
      {
        method: request.method,
        url: loggedUrl(request),
        client: request.clientAddress,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
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
    // Fastify's own trustProxy would believe the leftmost X-Forwarded-For entry: request.clientAddress instead.
    trustProxy: false,
    // Slow clients are cut off: headers or a body still arriving (408), an idle kept-alive connection,
    // and, as a backstop, a silent socket (which is also silent while its request is being handled).
    connectionTimeout: deps.http.silentConnectionTimeoutMs,
    requestTimeout: deps.http.requestTimeoutMs,
    keepAliveTimeout: deps.http.keepAliveTimeoutMs,
    http: {
      requestTimeout: deps.http.requestTimeoutMs,
      headersTimeout: deps.http.requestTimeoutMs,
      // Node checks those deadlines on this interval (30 s by default, which would stretch a 15 s timeout to 45 s).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(deps.http.requestTimeoutMs / 10))),
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    // X-Request-Id is taken from a client only when it looks like an id (it reaches every log line).
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id'], randomUUID),
    childLoggerFactory: (logger, bindings, options) => DeferredChild.factory(logger as Logger, bindings, options) as FastifyBaseLogger,
    // Strict bodies: no type coercion (a number is not quietly a string); unknown fields dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
  });

  const clientAddress = createClientAddress(deps.http.trustProxy);
  const locateClient = createClientLocator(deps.http.trustProxy);
  app.decorateRequest('clientAddress', {
    getter(this: FastifyRequest) {
      return clientAddress(this.socket.remoteAddress, this.headers['x-forwarded-for']);
    },
  });
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return locateClient(this.socket.remoteAddress, this.headers['x-forwarded-for'])?.address;
    },
  });
  await registerApiDocs(app, { serve: deps.http.apiDocs, version: deps.http.version });
  await registerHygiene(app, { corsOrigins: deps.http.corsOrigins, context: deps.context });
  if (deps.metrics !== undefined) registerMetrics(app, deps.metrics.metrics, { serveHere: deps.metrics.serveHere });
  app.addHook('onResponse', (request, reply, done) => {
    const refused = refusalOf(request);
    if (refused !== undefined) deps.events.refusal(refused, reply.statusCode);
    done();
  });
  registerErrorHandling(app, deps.isUnavailable);
  // IP_REQUEST_LIMIT: every route that does not count its client address itself (code requests
  // and verifies do, in the domain, with their own limits; /health is for the load balancer).
  // No hook at all while the limit is off.
  const limitRequest = deps.auth.limitRequest;
  if (limitRequest !== undefined) {
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.addressLimit !== 'own') await limitRequest(request.clientAddress);
    });
  }
  registerHealthRoutes(app, deps.health);
  const cookies = registerCookieMode(app, deps.cookieMode);
  registerAuthRoutes(app, deps.auth, buildSchemas(deps.http.otpLength), cookies, deps.captcha);
  registerSessionRoutes(app, deps.sessions, cookies);
  registerJwksRoute(app, deps.jwks);
  if (deps.twilioStatus !== undefined) registerWebhookRoutes(app, deps.twilioStatus);
  if (deps.web !== undefined) registerWebRoutes(app, deps.web);
  return app;
}
