// The production wiring, used by server.ts and by the tests alike: config in, a ready app out.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { countingSegments, createDeliveryStats, type DeliveryStats } from './delivery/delivery-stats.js';
import { createDevInbox } from './delivery/dev-inbox.js';
import { createSenders } from './delivery/index.js';
import { loadMessages } from './delivery/templates-dir.js';
import { receiptRecorder } from './delivery/twilio-status.js';
import { createChallengeService } from './domain/challenges.js';
import { createKeyRing, type KeyRing } from './domain/keys.js';
import { observeChallenges, observeSenders } from './domain/observe.js';
import { createCodeHasher, deriveOtpKey } from './domain/otp.js';
import { createPhonePolicy } from './domain/phone-policy.js';
import type { Clock, Limiter } from './domain/ports.js';
import { createRefreshTokens, deriveRefreshKey } from './domain/refresh-tokens.js';
import { createSessionService } from './domain/sessions.js';
import { createTokens } from './domain/tokens.js';
import { createDatabase, isUnavailable } from './store/database.js';
import { createDatabaseLimiter } from './store/limiter-db.js';
import { createMetricsServer } from './http/metrics.js';
import { createLogger, createRequestContext } from './observability/logger.js';
import { createMetrics, exposeDeliveryCounts } from './observability/metrics.js';
import { createSecurityLog, fanOut } from './observability/security-log.js';
import { migrateToLatest, pendingMigrations } from './store/migrate.js';
import { createSessionStore } from './store/sessions-store.js';
import { packageVersion } from './version.js';
import { createStore } from './store/store.js';

const systemClock: Clock = { now: () => Date.now() };

/** Expired codes are kept this long so a late verify hears "expired", then swept. */
const EXPIRED_CODE_GRACE_MS = 60 * 60 * 1000;

export interface ComposeOptions {
  clock?: Clock;
  /** Where logs go (stdout by default); tests read them to prove no code or token is logged. */
  logStream?: DestinationStream;
}

export interface Composed {
  app: FastifyInstance;
  logger: Logger;
  /** The METRICS_PORT listener (started when the app listens), when one is configured. */
  metricsServer?: FastifyInstance;
  /** SMS segments and delivery receipts counted so far (for a metrics endpoint). */
  deliveryStats: DeliveryStats;
}

export async function composeApp(config: Config & { jwtSecret: string }, options: ComposeOptions = {}): Promise<Composed> {
  const logger = createLogger(config, options.logStream);
  const context = createRequestContext(logger);
  const metrics = config.metricsEnabled ? createMetrics() : undefined;
  const events = fanOut(createSecurityLog(context.log), ...(metrics === undefined ? [] : [metrics.events]));
  const clock = options.clock ?? systemClock;
  for (const warning of config.warnings) logger.warn(warning);
  if (config.testIdentifiers.size > 0 && config.production) {
    logger.warn({ count: config.testIdentifiers.size }, 'TEST_OTP_NUMBERS is on in production (ALLOW_TEST_OTP_IN_PRODUCTION): these identifiers sign in with fixed codes');
  }

  // Before anything is opened: a bad template stops start-up with nothing to clean up.
  const messages = await loadMessages(config, logger);
  const database = await createDatabase(config.database);
  if (config.migrateOnStart) await migrateToLatest(database);
  const store = createStore(database);
  const limiter: Limiter =
    config.redisUrl === undefined
      ? createDatabaseLimiter(database)
      : await (await import('./store/limiter-redis.js')).createRedisLimiter(config.redisUrl, logger, config.redisKeyPrefix);
  // The dev inbox: codes the console providers send, shown on the page; never in production.
  const consoleDelivery = config.smsProviders.includes('console') || config.emailProviders.includes('console');
  const devInbox = config.appDebug && !config.production && consoleDelivery ? createDevInbox() : undefined;
  const stats = createDeliveryStats();
  if (metrics !== undefined) exposeDeliveryCounts(metrics, () => stats.snapshot());
  const created = await createSenders(config, logger, clock, devInbox);
  const senders = observeSenders({ ...created, phone: countingSegments(created.phone, stats, logger) }, events);
  // The full phone metadata is loaded only when number types are checked (it costs memory).
  const numberTypes = config.smsRefusedNumberTypes.length === 0 ? undefined : await import('./domain/number-types.js');
  const phonePolicy = createPhonePolicy(
    { allowedCountries: config.smsAllowedCountries, refusedNumberTypes: config.smsRefusedNumberTypes },
    logger,
    numberTypes?.numberKindOf,
  );
  const captcha = config.captcha === undefined ? undefined : (await import('./http/captcha.js')).createCaptchaGuard(config.captcha, logger);

  const keys = keyRing(config);
  const sessions = createSessionService({
    store: createSessionStore(database),
    customers: store,
    clock,
    log: context.log,
    events,
    tokens: createTokens({ keys, ttlSeconds: config.jwtTtlSeconds, issuer: config.jwtIssuer, audience: config.jwtAudience }),
    refreshTokens: createRefreshTokens(deriveRefreshKey(config.jwtSecret)),
    settings: { refreshTtlSeconds: config.refreshTtlSeconds, reuseGraceSeconds: config.refreshReuseGraceSeconds },
  });
  const service = createChallengeService({
    store,
    limiter,
    phonePolicy,
    senders,
    messages,
    clock,
    log: context.log,
    hasher: createCodeHasher(deriveOtpKey({ otpSecret: config.otpSecret, jwtSecret: config.jwtSecret })),
    sessions,
    settings: {
      otpLength: config.otpLength,
      otpTtlSeconds: config.otpTtlSeconds,
      otpMaxAttempts: config.otpMaxAttempts,
      limits: { ...config.limits, resendCooldownSeconds: config.otpResendCooldownSeconds },
      testIdentifiers: config.testIdentifiers,
      enumerationProtection: config.enumerationProtection,
      deliveryTimeoutMs: config.deliveryTimeoutMs,
      appDebug: config.appDebug,
      defaultCountry: config.defaultCountry,
      acceptPreviousCode: config.otpAcceptPreviousCode,
    },
  });

  const auth = observeChallenges(service, events);

  const app = await buildApp({
    auth,
    sessions,
    jwks: keys.jwks,
    logger,
    captcha,
    events,
    context,
    cookieMode: { publicOrigin: config.publicOrigin, corsOrigins: config.corsOrigins, production: config.production },
    web: config.webUi
      ? { defaultCountry: config.defaultCountry, otpLength: config.otpLength, resendCooldownSeconds: config.otpResendCooldownSeconds, devInbox }
      : undefined,
    isUnavailable,
    ...(metrics === undefined ? {} : { metrics: { metrics, serveHere: config.metricsPort === undefined } }),
    health: {
      database: () => store.ping(),
      ...(config.redisUrl === undefined ? {} : { redis: () => limiter.ping() }),
      migrations: async () => {
        const pending = await pendingMigrations(database);
        if (pending.length > 0) throw new Error(`not applied: ${pending.join(', ')}`);
      },
    },
    ...(config.twilio.statusCallbackUrl === undefined || config.twilio.authToken === undefined
      ? {}
      : { twilioStatus: { url: config.twilio.statusCallbackUrl, authToken: config.twilio.authToken, onReceipt: receiptRecorder(stats, logger) } }),
    http: {
      apiDocs: config.apiDocs,
      corsOrigins: config.corsOrigins,
      version: packageVersion(),
      otpLength: config.otpLength,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      requestTimeoutMs: config.requestTimeoutMs,
      // While a handler waits on a provider no byte moves; the database's waits get REQUEST_TIMEOUT_MS again.
      silentConnectionTimeoutMs: config.requestTimeoutMs + config.deliveryTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      requestLogLevel: config.requestLogLevel,
    },
  });

  // Expired codes, ended limit windows and ended sessions are swept periodically, never inline on a request.
  const sweep = setInterval(() => {
    const nowMs = clock.now();
    Promise.all([store.deleteExpiredChallenges(nowMs - EXPIRED_CODE_GRACE_MS), limiter.sweep(nowMs), sessions.sweep(nowMs)]).catch((error: unknown) =>
      logger.warn({ err: error }, 'cleanup failed; will retry'),
    );
  }, config.cleanupIntervalSeconds * 1000);
  sweep.unref();

  const metricsServer = metrics === undefined || config.metricsPort === undefined ? undefined : createMetricsServer(metrics);
  if (metricsServer !== undefined) {
    app.addHook('onListen', async () => {
      await metricsServer.listen({ host: config.host, port: config.metricsPort });
    });
  }

  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.allSettled([
      metricsServer?.close(),
      senders.phone.close?.(),
      senders.email.close?.(),
      limiter.close(),
      captcha?.close(),
    ]);
    await database.close();
  });
  return { app, logger, deliveryStats: stats, ...(metricsServer === undefined ? {} : { metricsServer }) };
}

/** The signing key and every key that still verifies, from JWT_ALG and its keys. */
function keyRing(config: Pick<Config, 'jwtAlgorithm' | 'jwtPrivateKey' | 'jwtPreviousPublicKeys'> & { jwtSecret: string }): KeyRing {
  if (config.jwtAlgorithm === 'HS256') return createKeyRing({ algorithm: 'HS256', secret: config.jwtSecret });
  if (config.jwtPrivateKey === undefined) throw new Error(`JWT_ALG=${config.jwtAlgorithm} needs JWT_PRIVATE_KEY`);
  return createKeyRing({ algorithm: config.jwtAlgorithm, privateKey: config.jwtPrivateKey, previousPublicKeys: config.jwtPreviousPublicKeys });
}
