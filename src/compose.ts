// The production wiring, used by server.ts and by the tests alike: config in, a ready app out.
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createDevInbox } from './delivery/dev-inbox.js';
import { createSenders } from './delivery/index.js';
import { createChallengeService } from './domain/challenges.js';
import { createKeyRing, type KeyRing } from './domain/keys.js';
import { createCodeHasher, deriveOtpKey } from './domain/otp.js';
import { createPhonePolicy } from './domain/phone-policy.js';
import type { Clock, Limiter } from './domain/ports.js';
import { createRefreshTokens, deriveRefreshKey } from './domain/refresh-tokens.js';
import { createSessionService } from './domain/sessions.js';
import { createTokens } from './domain/tokens.js';
import { createDatabase, isUnavailable } from './store/database.js';
import { createDatabaseLimiter } from './store/limiter-db.js';
import { migrateToLatest } from './store/migrate.js';
import { createSessionStore } from './store/sessions-store.js';
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
}

export function createLogger(config: Pick<Config, 'logLevel'>, stream?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      // Belt and braces: tokens travel in this header, and no code or token may reach a log.
      redact: ['req.headers.authorization', 'headers.authorization', '*.otp', '*.access_token', '*.refresh_token', '*.refreshToken'],
    },
    stream ?? process.stdout,
  );
}

export async function composeApp(config: Config & { jwtSecret: string }, options: ComposeOptions = {}): Promise<Composed> {
  const logger = createLogger(config, options.logStream);
  const clock = options.clock ?? systemClock;
  for (const warning of config.warnings) logger.warn(warning);

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
  const senders = await createSenders(config, logger, clock, devInbox);
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
    log: logger,
    tokens: createTokens({ keys, ttlSeconds: config.jwtTtlSeconds, issuer: config.jwtIssuer, audience: config.jwtAudience }),
    refreshTokens: createRefreshTokens(deriveRefreshKey(config.jwtSecret)),
    settings: { refreshTtlSeconds: config.refreshTtlSeconds, reuseGraceSeconds: config.refreshReuseGraceSeconds },
  });
  const auth = createChallengeService({
    store,
    limiter,
    phonePolicy,
    senders,
    clock,
    log: logger,
    hasher: createCodeHasher(deriveOtpKey({ otpSecret: config.otpSecret, jwtSecret: config.jwtSecret })),
    sessions,
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
    },
  });

  const app = buildApp({
    auth,
    sessions,
    jwks: keys.jwks,
    logger,
    captcha,
    cookieMode: { publicOrigin: config.publicOrigin, corsOrigins: config.corsOrigins, production: config.production },
    web: config.webUi
      ? { defaultCountry: config.defaultCountry, otpLength: config.otpLength, resendCooldownSeconds: config.otpResendCooldownSeconds, devInbox }
      : undefined,
    isUnavailable,
    health: { database: () => store.ping(), ...(config.redisUrl === undefined ? {} : { redis: () => limiter.ping() }) },
    http: {
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

  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.allSettled([
      senders.phone.close?.(),
      senders.email.close?.(),
      limiter.close(),
      captcha?.close(),
    ]);
    await database.close();
  });
  return { app, logger };
}

/** The signing key and every key that still verifies, from JWT_ALG and its keys. */
function keyRing(config: Pick<Config, 'jwtAlgorithm' | 'jwtPrivateKey' | 'jwtPreviousPublicKeys'> & { jwtSecret: string }): KeyRing {
  if (config.jwtAlgorithm === 'HS256') return createKeyRing({ algorithm: 'HS256', secret: config.jwtSecret });
  if (config.jwtPrivateKey === undefined) throw new Error(`JWT_ALG=${config.jwtAlgorithm} needs JWT_PRIVATE_KEY`);
  return createKeyRing({ algorithm: config.jwtAlgorithm, privateKey: config.jwtPrivateKey, previousPublicKeys: config.jwtPreviousPublicKeys });
}
