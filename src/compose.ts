// The production wiring, used by server.ts and by the tests alike: config in, a ready app out.
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { countingSegments, createDeliveryStats, type DeliveryStats } from './delivery/delivery-stats.js';
import { createSenders } from './delivery/index.js';
import { loadMessages } from './delivery/templates-dir.js';
import { receiptRecorder } from './delivery/twilio-status.js';
import { createChallengeService } from './domain/challenges.js';
import { createCodeHasher, deriveOtpKey } from './domain/otp.js';
import type { Clock, Limiter } from './domain/ports.js';
import { createTokens } from './domain/tokens.js';
import { createDatabase, isUnavailable } from './store/database.js';
import { createDatabaseLimiter } from './store/limiter-db.js';
import { migrateToLatest } from './store/migrate.js';
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
  /** SMS segments and delivery receipts counted so far (for a metrics endpoint). */
  deliveryStats: DeliveryStats;
}

export function createLogger(config: Pick<Config, 'logLevel'>, stream?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      // Belt and braces: tokens travel in this header, and no code or token may reach a log.
      redact: ['req.headers.authorization', 'headers.authorization', '*.otp', '*.access_token'],
    },
    stream ?? process.stdout,
  );
}

export async function composeApp(config: Config & { jwtSecret: string }, options: ComposeOptions = {}): Promise<Composed> {
  const logger = createLogger(config, options.logStream);
  const clock = options.clock ?? systemClock;
  for (const warning of config.warnings) logger.warn(warning);

  // Before anything is opened: a bad template stops start-up with nothing to clean up.
  const messages = await loadMessages(config, logger);
  const database = await createDatabase(config.database);
  if (config.migrateOnStart) await migrateToLatest(database);
  const store = createStore(database);
  const limiter: Limiter =
    config.redisUrl === undefined
      ? createDatabaseLimiter(database)
      : await (await import('./store/limiter-redis.js')).createRedisLimiter(config.redisUrl, logger, config.redisKeyPrefix);
  const stats = createDeliveryStats();
  const senders = await createSenders(config, logger);
  senders.phone = countingSegments(senders.phone, stats, logger);

  const auth = createChallengeService({
    store,
    limiter,
    senders,
    messages,
    clock,
    log: logger,
    hasher: createCodeHasher(deriveOtpKey({ otpSecret: config.otpSecret, jwtSecret: config.jwtSecret })),
    tokens: createTokens({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds, issuer: config.jwtIssuer }),
    settings: {
      otpLength: config.otpLength,
      otpTtlSeconds: config.otpTtlSeconds,
      otpMaxAttempts: config.otpMaxAttempts,
      resendCooldownSeconds: config.otpResendCooldownSeconds,
      ipMax: config.rateLimitIpMax,
      ipWindowSeconds: config.rateLimitIpWindowSeconds,
      deliveryTimeoutMs: config.deliveryTimeoutMs,
      appDebug: config.appDebug,
      defaultCountry: config.defaultCountry,
      acceptPreviousCode: config.otpAcceptPreviousCode,
    },
  });

  const app = buildApp({
    auth,
    logger,
    isUnavailable,
    health: { database: () => store.ping(), ...(config.redisUrl === undefined ? {} : { redis: () => limiter.ping() }) },
    ...(config.twilio.statusCallbackUrl === undefined || config.twilio.authToken === undefined
      ? {}
      : { twilioStatus: { url: config.twilio.statusCallbackUrl, authToken: config.twilio.authToken, onReceipt: receiptRecorder(stats, logger) } }),
    http: {
      otpLength: config.otpLength,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      requestLogLevel: config.requestLogLevel,
    },
  });

  // Expired codes and ended limit windows are swept periodically, never inline on a request.
  const sweep = setInterval(() => {
    const nowMs = clock.now();
    Promise.all([store.deleteExpiredChallenges(nowMs - EXPIRED_CODE_GRACE_MS), limiter.sweep(nowMs)]).catch((error: unknown) =>
      logger.warn({ err: error }, 'cleanup failed; will retry'),
    );
  }, config.cleanupIntervalSeconds * 1000);
  sweep.unref();

  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.allSettled([
      senders.phone.close?.(),
      senders.email.close?.(),
      limiter.close(),
    ]);
    await database.close();
  });
  return { app, logger, deliveryStats: stats };
}
