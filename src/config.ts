// Every environment variable the service reads, with its doc and default, in one table.
// loadConfig() is the only place process.env is read; a bad value stops start-up naming the variable.
// The rules that judge settings together (production safety) live in config-rules.ts.
import { inspect } from 'node:util';
import { productionShapedSetting, secretWeakness, unsafeOtpSettings } from './config-rules.js';
import { withoutCredentials, withoutUrlCredentials } from './credentials.js';

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * What an entry point prints when start-up fails: a ConfigError's sentence alone, anything else in
 * full but with the credentials of every URL in it hidden (a driver's error may quote DATABASE_URL).
 */
export function describeStartupError(error: unknown): string {
  return error instanceof ConfigError ? error.message : withoutUrlCredentials(inspect(error));
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolMax: number };

/** The database settings alone: also what `npm run migrate` reads, which needs nothing else. */
export function database(env: Env): DatabaseConfig {
  const raw = str(env, 'DATABASE_URL') ?? 'sqlite:./data/customer-auth.db';
  const poolMax = int(env, 'DATABASE_POOL_MAX', 10, 1, 1000);
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return { kind: 'postgres', url: raw, poolMax };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'names no SQLite file (use sqlite:./data/customer-auth.db)');
    return { kind: 'sqlite', path };
  }
  throw new ConfigError('DATABASE_URL', `must start with sqlite:, postgres:// or postgresql://, got "${withoutCredentials(raw)}"`);
}

export type SmsProvider = 'console' | 'twilio';
export type EmailProvider = 'console' | 'smtp';

export function loadConfig(env: Env) {
  const explicitNodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], undefined);
  const nodeEnv = explicitNodeEnv ?? 'development';
  const production = nodeEnv === 'production';
  const allowConsoleDelivery = bool(env, 'ALLOW_CONSOLE_DELIVERY', false);

  const smsProvider = oneOf<SmsProvider>(env, 'SMS_PROVIDER', ['console', 'twilio'], production ? undefined : 'console');
  const emailProvider = oneOf<EmailProvider>(env, 'EMAIL_PROVIDER', ['console', 'smtp'], production ? undefined : 'console');
  if (smsProvider === undefined) throw new ConfigError('SMS_PROVIDER', 'must be set in production (twilio)');
  if (emailProvider === undefined) throw new ConfigError('EMAIL_PROVIDER', 'must be set in production (smtp)');
  if (production && !allowConsoleDelivery) {
    if (smsProvider === 'console') throw new ConfigError('SMS_PROVIDER', 'is console in production; set ALLOW_CONSOLE_DELIVERY=true to allow it');
    if (emailProvider === 'console') throw new ConfigError('EMAIL_PROVIDER', 'is console in production; set ALLOW_CONSOLE_DELIVERY=true to allow it');
  }

  const jwtSecret = secret(env, 'JWT_SECRET', production);
  if (jwtSecret === undefined && production) throw new ConfigError('JWT_SECRET', 'must be set in production; make one with: openssl rand -base64 48');
  const otpSecret = secret(env, 'OTP_SECRET', production);

  const defaultCountry = str(env, 'DEFAULT_COUNTRY')?.toUpperCase();
  if (defaultCountry !== undefined && !/^[A-Z]{2}$/.test(defaultCountry)) {
    throw new ConfigError('DEFAULT_COUNTRY', `must be an ISO 3166 region code such as IN or US, got "${defaultCountry}"`);
  }

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
    /** REQUEST_LOG_LEVEL, default debug: the level of the one line logged per request. */
    requestLogLevel: oneOf<LogLevel>(env, 'REQUEST_LOG_LEVEL', LOG_LEVELS, 'debug')!,
    /** TRUST_PROXY, default false: take the client address from X-Forwarded-For (behind a load balancer). */
    trustProxy: bool(env, 'TRUST_PROXY', false),
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
    /** RATE_LIMIT_IP_MAX, default 60: OTP requests and verifies per client address per window; 0 turns it off. */
    rateLimitIpMax: int(env, 'RATE_LIMIT_IP_MAX', 60, 0, 1_000_000),
    /** RATE_LIMIT_IP_WINDOW_SECONDS, default 60. */
    rateLimitIpWindowSeconds: int(env, 'RATE_LIMIT_IP_WINDOW_SECONDS', 60, 1, 24 * 3600),
    /** DEFAULT_COUNTRY, optional ISO region (IN, US): for national numbers sent without country_code. */
    defaultCountry,
    /** SMS_PROVIDER, console|twilio: default console outside production, required in production. */
    smsProvider,
    /** EMAIL_PROVIDER, console|smtp: default console outside production, required in production. */
    emailProvider,
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
    smtp: {
      /** SMTP_URL, e.g. smtps://user:pass@smtp.example.com:465: required for smtp. */
      url: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      /** EMAIL_FROM, e.g. "Shop <no-reply@example.com>": required for smtp. */
      from: str(env, 'EMAIL_FROM'),
    },
    /** TEMPLATES_DIR, DEFAULT_LOCALE, WEBOTP_DOMAIN, ANDROID_APP_HASH, SMS_MAX_SEGMENTS: see messageSettings below. */
    messages,
    /** DELIVERY_TIMEOUT_MS, default 10000: every provider call gives up after this. */
    deliveryTimeoutMs: int(env, 'DELIVERY_TIMEOUT_MS', 10000, 100, 120_000),
    /** APP_DEBUG, default false: when delivery fails, answer 200 with the code in data.otp (refused in production). */
    appDebug: bool(env, 'APP_DEBUG', false),
    /** ALLOW_UNSAFE_OTP_SETTINGS, default false: lets production run with the OTP settings config-rules.ts calls unsafe. */
    allowUnsafeOtpSettings: bool(env, 'ALLOW_UNSAFE_OTP_SETTINGS', false),
    /** What start-up should log as warnings (the logger does not exist yet here). */
    warnings: [] as string[],
    /** CLEANUP_INTERVAL_SECONDS, default 60: how often expired codes are deleted. */
    cleanupIntervalSeconds: int(env, 'CLEANUP_INTERVAL_SECONDS', 60, 1, 24 * 3600),
  };

  if (explicitNodeEnv === undefined) {
    const shaped = productionShapedSetting({ ...config, databaseKind: config.database.kind });
    if (shaped !== undefined) {
      throw new ConfigError('NODE_ENV', `is unset, but ${shaped} is a production setting: set NODE_ENV=production (or NODE_ENV=development to run it locally)`);
    }
  }
  if (config.smsProvider === 'twilio') {
    if (!config.twilio.accountSid) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be set when SMS_PROVIDER=twilio');
    if (!config.twilio.authToken) throw new ConfigError('TWILIO_AUTH_TOKEN', 'must be set when SMS_PROVIDER=twilio');
    if (!config.twilio.from && !config.twilio.messagingServiceSid) {
      throw new ConfigError('TWILIO_FROM', 'or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_PROVIDER=twilio');
    }
  }
  if (config.twilio.statusCallbackUrl !== undefined && config.smsProvider !== 'twilio') {
    throw new ConfigError('TWILIO_STATUS_CALLBACK_URL', 'needs SMS_PROVIDER=twilio: the Twilio auth token is what signs the callbacks');
  }
  if (config.emailProvider === 'smtp') {
    if (!config.smtp.url) throw new ConfigError('SMTP_URL', 'must be set when EMAIL_PROVIDER=smtp');
    if (!config.smtp.from) throw new ConfigError('EMAIL_FROM', 'must be set when EMAIL_PROVIDER=smtp');
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

/** What the messages customers receive are made from (src/domain/messages/). */
function messageSettings(env: Env) {
  const defaultLocale = str(env, 'DEFAULT_LOCALE') ?? 'en';
  try {
    Intl.getCanonicalLocales(defaultLocale);
  } catch {
    throw new ConfigError('DEFAULT_LOCALE', `must be a BCP 47 language tag such as en or hi-IN, got "${defaultLocale}"`);
  }
  const webotpDomain = str(env, 'WEBOTP_DOMAIN')?.toLowerCase();
  // A host alone: the WebOTP line binds the code to https://<host>, so no scheme, port or path.
  if (webotpDomain !== undefined && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(webotpDomain)) {
    throw new ConfigError('WEBOTP_DOMAIN', `must be a host name such as shop.example.com (no scheme, port or path), got "${webotpDomain}"`);
  }
  const androidAppHash = str(env, 'ANDROID_APP_HASH');
  if (androidAppHash !== undefined && !/^[A-Za-z0-9+/]{11}$/.test(androidAppHash)) {
    throw new ConfigError('ANDROID_APP_HASH', 'must be the 11-character app hash string SMS Retriever computes (letters, digits, + and /)');
  }
  return {
    /** TEMPLATES_DIR, optional: a folder of <locale>.json files that override or add templates. */
    templatesDir: str(env, 'TEMPLATES_DIR'),
    /** DEFAULT_LOCALE, default en: the locale when neither the body nor Accept-Language names a known one. */
    defaultLocale,
    /** WEBOTP_DOMAIN, optional: adds the WebOTP line "@<domain> #<code>" as the last line of every SMS. */
    webotpDomain,
    /** ANDROID_APP_HASH, optional: the 11-character hash Android's SMS Retriever looks for, on its own line. */
    androidAppHash,
    /** SMS_MAX_SEGMENTS, default 2: start-up fails when any SMS template renders to more segments. */
    smsMaxSegments: int(env, 'SMS_MAX_SEGMENTS', 2, 1, 10),
  };
}

/** A signing or HMAC key: at least 32 bytes, and in production not obviously weak (config-rules.ts). */
function secret(env: Env, name: string, production: boolean): string | undefined {
  const value = str(env, name);
  if (value === undefined) return undefined;
  const weakness = secretWeakness(value, { production });
  if (weakness !== undefined) throw new ConfigError(name, weakness);
  return value;
}

export type Config = ReturnType<typeof loadConfig>;
