// Every environment variable the service reads, with its doc and default, in one table.
// loadConfig() is the only place process.env is read; a bad value stops start-up naming the variable.
// The rules that judge settings together (production safety) live in config-rules.ts; the readers of
// one variable in config-values.ts, and the settings that take more than a line in config-sections.ts.
import { inspect } from 'node:util';
import { productionShapedSetting, unsafeOtpSettings } from './config-rules.js';
import {
  allowedCountries, breakerRule, captcha, database, defaultCountryOf, jwtKeys, messageSettings, providerList,
  refusedNumberTypes, secret, testIdentifiers, trustProxy,
} from './config-sections.js';
import { ConfigError, bool, int, oneOf, optionalInt, origin, origins, ratio, rules, str, url, type Env } from './config-values.js';
import { withoutUrlCredentials } from './credentials.js';

export { ConfigError } from './config-values.js';
export { database, defaultCountryOf, type BreakerRule, type CaptchaProvider, type DatabaseConfig, type TrustProxy } from './config-sections.js';

/**
 * What an entry point prints when start-up fails: a ConfigError's sentence alone, anything else in
 * full but with the credentials of every URL in it hidden (a driver's error may quote DATABASE_URL).
 */
export function describeStartupError(error: unknown): string {
  return error instanceof ConfigError ? error.message : withoutUrlCredentials(inspect(error));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
type LogFormat = 'json' | 'pretty';

export type SmsProvider = 'console' | 'twilio' | 'webhook';

export type EmailProvider = 'console' | 'smtp';

export function loadConfig(env: Env) {
  const explicitNodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], undefined);
  const nodeEnv = explicitNodeEnv ?? 'development';
  const production = nodeEnv === 'production';
  const allowConsoleDelivery = bool(env, 'ALLOW_CONSOLE_DELIVERY', false);

  const smsProviders = providerList<SmsProvider>(env, 'SMS_PROVIDER', ['console', 'twilio', 'webhook'], production ? undefined : ['console']);
  const emailProviders = providerList<EmailProvider>(env, 'EMAIL_PROVIDER', ['console', 'smtp'], production ? undefined : ['console']);
  if (smsProviders === undefined) throw new ConfigError('SMS_PROVIDER', 'must be set in production (twilio, webhook, or a list such as twilio,webhook)');
  if (emailProviders === undefined) throw new ConfigError('EMAIL_PROVIDER', 'must be set in production (smtp)');
  if (production && !allowConsoleDelivery) {
    if (smsProviders.includes('console')) throw new ConfigError('SMS_PROVIDER', 'lists console in production; set ALLOW_CONSOLE_DELIVERY=true to allow it');
    if (emailProviders.includes('console')) throw new ConfigError('EMAIL_PROVIDER', 'lists console in production; set ALLOW_CONSOLE_DELIVERY=true to allow it');
  }

  const jwtSecret = secret(env, 'JWT_SECRET', production);
  if (jwtSecret === undefined && production) throw new ConfigError('JWT_SECRET', 'must be set in production; make one with: openssl rand -base64 48');
  const otpSecret = secret(env, 'OTP_SECRET', production);

  const defaultCountry = defaultCountryOf(env);

  const jwt = jwtKeys(env, production);

  const messages = messageSettings(env);

  const config = {
    nodeEnv,
    production,
    /** HOST, default 127.0.0.1: the address to listen on (0.0.0.0 in a container). */
    host: str(env, 'HOST') ?? '127.0.0.1',
    /** PORT, default 3000. */
    port: int(env, 'PORT', 3000, 0, 65535),
    /** LOG_LEVEL, default info. */
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', LOG_LEVELS, 'info')!,
    /** LOG_FORMAT, json|pretty: default pretty (pino-pretty) in development, json otherwise. */
    logFormat: oneOf<LogFormat>(env, 'LOG_FORMAT', ['json', 'pretty'], nodeEnv === 'development' ? 'pretty' : 'json')!,
    /** API_DOCS, default true outside production: serve GET /openapi.json and GET /docs. */
    apiDocs: bool(env, 'API_DOCS', !production),
    /** METRICS_ENABLED, default true: collect Prometheus metrics and serve GET /metrics. */
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    /** METRICS_PORT, optional: serve /metrics on this port (on HOST) and not on the main one. */
    metricsPort: optionalInt(env, 'METRICS_PORT', 1, 65535),
    /** REQUEST_LOG_LEVEL, default debug: the level of the one line logged per request. */
    requestLogLevel: oneOf<LogLevel>(env, 'REQUEST_LOG_LEVEL', LOG_LEVELS, 'debug')!,
    /**
     * TRUST_PROXY, default false: who may say the client's address in X-Forwarded-For. A hop count
     * (1 for one load balancer) or the proxies' addresses and CIDR ranges; true is refused.
     */
    trustProxy: trustProxy(env),
    /** REQUEST_TIMEOUT_MS, default 15000: a request's headers and body must arrive within this (a connection silent for it plus DELIVERY_TIMEOUT_MS is closed). */
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 15_000, 100, 600_000),
    /** KEEP_ALIVE_TIMEOUT_MS, default 72000: an idle kept-alive connection is closed after this (above a load balancer's 60 s). */
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    /** BODY_LIMIT_BYTES, default 65536. */
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 65536, 1024, 10 * 1024 * 1024),
    /** DATABASE_URL, default sqlite:./data/customer-auth.db; DATABASE_POOL_MAX, default 10 (PostgreSQL). */
    database: database(env),
    /** MIGRATE_ON_START, default true. */
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    /** REDIS_URL, optional: cooldowns and rate counters in Redis instead of the database. */
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    /** REDIS_KEY_PREFIX, default customer-auth: (several deployments may share one Redis). */
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX') ?? 'customer-auth:',
    /** JWT_SECRET: required in production; in development one is generated under ./data. */
    jwtSecret,
    /** JWT_TTL_SECONDS, default 3600. */
    jwtTtlSeconds: int(env, 'JWT_TTL_SECONDS', 3600, 60, 30 * 24 * 3600),
    /** JWT_ISSUER, default customer-auth. */
    jwtIssuer: str(env, 'JWT_ISSUER') ?? 'customer-auth',
    /** JWT_ALG, default HS256 (with JWT_SECRET); ES256 or EdDSA sign with JWT_PRIVATE_KEY and publish the JWKS. */
    jwtAlgorithm: jwt.algorithm,
    /** JWT_PRIVATE_KEY (PEM) or JWT_PRIVATE_KEY_FILE: ES256/EdDSA only; required in production, generated under ./data in development. */
    jwtPrivateKey: jwt.privateKey,
    /** JWT_PREVIOUS_PUBLIC_KEYS (PEM list) or JWT_PREVIOUS_PUBLIC_KEYS_FILE: keys retired by a rotation that still verify. */
    jwtPreviousPublicKeys: jwt.previousPublicKeys,
    /** JWT_AUDIENCE, optional: put in `aud` and checked on verify when set. */
    jwtAudience: str(env, 'JWT_AUDIENCE'),
    /** REFRESH_TTL_SECONDS, default 2592000 (30 days): each refresh token's lifetime; a refresh gives a new one. */
    refreshTtlSeconds: int(env, 'REFRESH_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    /** REFRESH_REUSE_GRACE_SECONDS, default 10: a spent refresh token retried this soon gets the same successor; 0 turns it off. */
    refreshReuseGraceSeconds: int(env, 'REFRESH_REUSE_GRACE_SECONDS', 10, 0, 300),
    /** OTP_SECRET, optional: the HMAC key for stored codes; derived from JWT_SECRET with HKDF when unset. */
    otpSecret,
    /** OTP_LENGTH, default 6. */
    otpLength: int(env, 'OTP_LENGTH', 6, 4, 10),
    /** OTP_TTL_SECONDS, default 600. */
    otpTtlSeconds: int(env, 'OTP_TTL_SECONDS', 600, 30, 24 * 3600),
    /** OTP_MAX_ATTEMPTS, default 5: wrong tries that kill a code. */
    otpMaxAttempts: int(env, 'OTP_MAX_ATTEMPTS', 5, 1, 100),
    /** OTP_ACCEPT_PREVIOUS_CODE, default true: a resend leaves the code it replaces valid until its own expiry (one attempts budget for both). */
    otpAcceptPreviousCode: bool(env, 'OTP_ACCEPT_PREVIOUS_CODE', true),
    /** OTP_RESEND_COOLDOWN_SECONDS, default 60: per identifier and purpose; 0 turns it off. */
    otpResendCooldownSeconds: int(env, 'OTP_RESEND_COOLDOWN_SECONDS', 60, 0, 24 * 3600),
    limits: {
      /** IP_SEND_LIMIT, default 20/10m: code requests and resends per client address. */
      ipSend: rules(env, 'IP_SEND_LIMIT', '20/10m'),
      /** IP_VERIFY_LIMIT, default 60/10m: verifies per client address. */
      ipVerify: rules(env, 'IP_VERIFY_LIMIT', '60/10m'),
      /** IP_REQUEST_LIMIT, default 600/1m: every other request per client address (not /health). */
      ipRequest: rules(env, 'IP_REQUEST_LIMIT', '600/1m'),
      /** OTP_SEND_LIMIT, default 5/1h,10/1d: codes sent per identifier, across purposes and endpoint families. */
      otpSend: rules(env, 'OTP_SEND_LIMIT', '5/1h,10/1d'),
      /** IDENTIFIER_VERIFY_FAILURE_LIMIT, default 20/1d: wrong codes per identifier before it is locked. */
      verifyFailure: rules(env, 'IDENTIFIER_VERIFY_FAILURE_LIMIT', '20/1d'),
      /** IDENTIFIER_LOCK_SECONDS, default 3600: how long a locked identifier is refused. */
      lockSeconds: int(env, 'IDENTIFIER_LOCK_SECONDS', 3600, 1, 30 * 24 * 3600),
      /** SMS_BUDGET, default 1000/1h: SMS codes sent by the whole service. */
      smsBudget: rules(env, 'SMS_BUDGET', '1000/1h'),
      /** SMS_BUDGET_PER_COUNTRY, default 200/1h: SMS codes sent per calling code. */
      smsBudgetPerCountry: rules(env, 'SMS_BUDGET_PER_COUNTRY', '200/1h'),
      /** SMS_GUARD_MIN_SENDS, default 50 (off disables the guard): SMS per calling code in the last hour before the guard judges. */
      smsGuardMinSends: str(env, 'SMS_GUARD_MIN_SENDS')?.toLowerCase() === 'off' ? undefined : int(env, 'SMS_GUARD_MIN_SENDS', 50, 1, 1_000_000),
      /** SMS_GUARD_MIN_VERIFY_RATIO, default 0.2: below this share of verified codes the country is throttled. */
      smsGuardMinVerifyRatio: ratio(env, 'SMS_GUARD_MIN_VERIFY_RATIO', 0.2),
    },
    /** TEST_OTP_NUMBERS, default none: identifier=code pairs that get a fixed code and are sent nothing. */
    testIdentifiers: testIdentifiers(env, production),
    /** ENUMERATION_PROTECTION, default false: login and register do not tell whether an account exists. */
    enumerationProtection: bool(env, 'ENUMERATION_PROTECTION', false),
    /** DEFAULT_COUNTRY, optional ISO region (IN, US): for national numbers sent without country_code. */
    defaultCountry,
    /** SMS_PROVIDER, console|twilio|webhook or an ordered list (twilio,webhook) for failover: default console outside production, required in production. */
    smsProviders,
    /** EMAIL_PROVIDER, console|smtp or an ordered list: default console outside production, required in production. */
    emailProviders,
    /** PROVIDER_BREAKER, default 5/30s (or off); PROVIDER_BREAKER_OPEN_SECONDS, default 30: each provider's circuit breaker. */
    providerBreaker: breakerRule(env),
    /** SMS_ALLOWED_COUNTRIES, default empty (every country): ISO regions (IN,US) SMS codes may go to. */
    smsAllowedCountries: allowedCountries(env),
    /**
     * SMS_REFUSED_NUMBER_TYPES, default PREMIUM_RATE,SHARED_COST,TOLL_FREE,UAN,PAGER,VOICEMAIL,FIXED_LINE,
     * PERSONAL_NUMBER,NON_GEOGRAPHIC; off: no check (and libphonenumber's full metadata is not loaded).
     */
    smsRefusedNumberTypes: refusedNumberTypes(env),
    /**
     * CAPTCHA_PROVIDER, turnstile|hcaptcha, default unset (off); CAPTCHA_SECRET (required with it);
     * CAPTCHA_VERIFY_URL, default the vendor's siteverify; CAPTCHA_TIMEOUT_MS, default 5000.
     */
    captcha: captcha(env),
    /** ALLOW_CONSOLE_DELIVERY, default false: lets a console provider run in production. */
    allowConsoleDelivery,
    twilio: {
      /** TWILIO_API_BASE_URL, default https://api.twilio.com. */
      apiBaseUrl: url(env, 'TWILIO_API_BASE_URL', ['http:', 'https:']) ?? 'https://api.twilio.com',
      /** TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: required for twilio. */
      accountSid: str(env, 'TWILIO_ACCOUNT_SID'),
      authToken: str(env, 'TWILIO_AUTH_TOKEN'),
      /** TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID: one is required for twilio. */
      from: str(env, 'TWILIO_FROM'),
      messagingServiceSid: str(env, 'TWILIO_MESSAGING_SERVICE_SID'),
      /** TWILIO_STATUS_CALLBACK_URL, optional: the public URL of POST /api/v1/webhooks/twilio/status; Twilio then reports each SMS's fate there. */
      statusCallbackUrl: url(env, 'TWILIO_STATUS_CALLBACK_URL', ['http:', 'https:']),
    },
    smsWebhook: {
      /** SMS_WEBHOOK_URL: required for webhook; receives the signed JSON POST. */
      url: url(env, 'SMS_WEBHOOK_URL', ['http:', 'https:']),
      /** SMS_WEBHOOK_SECRET, at least 32 characters: required for webhook; the HMAC-SHA256 key of X-Signature. */
      secret: str(env, 'SMS_WEBHOOK_SECRET'),
    },
    smtp: {
      /** SMTP_URL, e.g. smtps://user:pass@smtp.example.com:465: required for smtp. */
      url: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      /** EMAIL_FROM, e.g. "Shop <no-reply@example.com>": required for smtp. */
      from: str(env, 'EMAIL_FROM'),
    },
    /** TEMPLATES_DIR, DEFAULT_LOCALE, WEBOTP_DOMAIN, ANDROID_APP_HASH, SMS_MAX_SEGMENTS: see messageSettings below. */
    messages,
    /**
     * DELIVERY_TIMEOUT_MS, default 10000: the whole delivery (every provider in the list) gives up
     * after this; with several providers each attempt gets an equal share of what is left.
     */
    deliveryTimeoutMs: int(env, 'DELIVERY_TIMEOUT_MS', 10000, 100, 120_000),
    /** APP_DEBUG, default false: when delivery fails, answer 200 with the code in data.otp (refused in production). */
    appDebug: bool(env, 'APP_DEBUG', false),
    /** ALLOW_UNSAFE_OTP_SETTINGS, default false: lets production run with the OTP settings config-rules.ts calls unsafe. */
    allowUnsafeOtpSettings: bool(env, 'ALLOW_UNSAFE_OTP_SETTINGS', false),
    /** What start-up should log as warnings (the logger does not exist yet here). */
    warnings: [] as string[],
    /** WEB_UI, default true in development (false in production and test): serve the sign-in page at GET /. */
    webUi: bool(env, 'WEB_UI', nodeEnv === 'development'),
    /**
     * PUBLIC_ORIGIN, optional: the service's origin as browsers see it (https://auth.example.com). Cookie-mode
     * requests must come from it or from CORS_ORIGINS; unset, it is taken from each request's Host and
     * protocol (behind a TLS-terminating proxy set it, or the cookie loses its __Host- prefix).
     */
    publicOrigin: str(env, 'PUBLIC_ORIGIN') === undefined ? undefined : origin('PUBLIC_ORIGIN', str(env, 'PUBLIC_ORIGIN')!),
    /** CORS_ORIGINS, default none: other origins (comma list) whose pages may call the API, cookie mode included. */
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    /** CLEANUP_INTERVAL_SECONDS, default 60: how often expired codes are deleted. */
    cleanupIntervalSeconds: int(env, 'CLEANUP_INTERVAL_SECONDS', 60, 1, 24 * 3600),
  };

  if (explicitNodeEnv === undefined) {
    const shaped = productionShapedSetting({ ...config, databaseKind: config.database.kind });
    if (shaped !== undefined) {
      throw new ConfigError('NODE_ENV', `is unset, but ${shaped} is a production setting: set NODE_ENV=production (or NODE_ENV=development to run it locally)`);
    }
  }
  if (config.smsProviders.includes('twilio')) {
    if (!config.twilio.accountSid) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be set when SMS_PROVIDER lists twilio');
    if (!config.twilio.authToken) throw new ConfigError('TWILIO_AUTH_TOKEN', 'must be set when SMS_PROVIDER lists twilio');
    if (!config.twilio.from && !config.twilio.messagingServiceSid) {
      throw new ConfigError('TWILIO_FROM', 'or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_PROVIDER lists twilio');
    }
  }
  if (config.smsProviders.includes('webhook') && !config.smsWebhook.url) {
    throw new ConfigError('SMS_WEBHOOK_URL', 'must be set when SMS_PROVIDER lists webhook');
  }
  if (config.smsProviders.includes('webhook') && !config.smsWebhook.secret) {
    throw new ConfigError('SMS_WEBHOOK_SECRET', 'must be set when SMS_PROVIDER lists webhook');
  }
  if (config.smsWebhook.secret !== undefined && config.smsWebhook.secret.length < 32) {
    throw new ConfigError('SMS_WEBHOOK_SECRET', 'must be at least 32 characters');
  }
  if (config.twilio.statusCallbackUrl !== undefined && !config.smsProviders.includes('twilio')) {
    throw new ConfigError('TWILIO_STATUS_CALLBACK_URL', 'needs SMS_PROVIDER to list twilio: the Twilio auth token is what signs the callbacks');
  }
  if (config.emailProviders.includes('smtp')) {
    if (!config.smtp.url) throw new ConfigError('SMTP_URL', 'must be set when EMAIL_PROVIDER lists smtp');
    if (!config.smtp.from) throw new ConfigError('EMAIL_FROM', 'must be set when EMAIL_PROVIDER lists smtp');
  }
  if (production) {
    // A debug answer carries the code to whoever asked: in production that is account takeover.
    if (config.appDebug) throw new ConfigError('APP_DEBUG', 'must not be true in production: it puts codes in API answers when delivery fails');
    for (const { variable, problem } of unsafeOtpSettings(config)) {
      if (!config.allowUnsafeOtpSettings) throw new ConfigError(variable, `${problem}; production refuses it unless ALLOW_UNSAFE_OTP_SETTINGS=true`);
      config.warnings.push(`${variable} ${problem} (allowed by ALLOW_UNSAFE_OTP_SETTINGS=true)`);
    }
  }
  return config;
}

export type Config = ReturnType<typeof loadConfig>;
