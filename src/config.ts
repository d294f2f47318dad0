import { parseLimitRules } from './limit-rules.js';
import { parseTestIdentifiers } from './domain/test-identifiers.js';
import type { LimitRule } from './domain/ports.js';

// Every environment variable the service reads, with its doc and default, in one table.
// loadConfig() is the only place process.env is read; a bad value stops start-up naming the variable.

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
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

/** Limit rules ("20/10m", "5/1h,10/1d", "off": see limit-rules.ts); undefined means off. */
function rules(env: Env, name: string, fallback: string): LimitRule[] | undefined {
  try {
    return parseLimitRules(str(env, name) ?? fallback);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

function ratio(env: Env, name: string, fallback: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || value > 1) throw new ConfigError(name, `must be a number from 0 to 1, got "${raw}"`);
  return value;
}

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolMax: number };

function database(env: Env): DatabaseConfig {
  const raw = str(env, 'DATABASE_URL') ?? 'sqlite:./data/customer-auth.db';
  const poolMax = int(env, 'DATABASE_POOL_MAX', 10, 1, 1000);
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return { kind: 'postgres', url: raw, poolMax };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'names no SQLite file (use sqlite:./data/customer-auth.db)');
    return { kind: 'sqlite', path };
  }
  throw new ConfigError('DATABASE_URL', `must start with sqlite:, postgres:// or postgresql://, got "${raw}"`);
}

function testIdentifiers(env: Env, production: boolean) {
  const otpLength = int(env, 'OTP_LENGTH', 6, 4, 10);
  let parsed;
  try {
    parsed = parseTestIdentifiers(str(env, 'TEST_OTP_NUMBERS') ?? '', otpLength);
  } catch (error) {
    throw new ConfigError('TEST_OTP_NUMBERS', (error as Error).message);
  }
  /** ALLOW_TEST_OTP_IN_PRODUCTION, default false: without it TEST_OTP_NUMBERS stops a production start. */
  const allowInProduction = bool(env, 'ALLOW_TEST_OTP_IN_PRODUCTION', false);
  if (parsed.size > 0 && production && !allowInProduction) {
    throw new ConfigError('TEST_OTP_NUMBERS', 'is set in production; set ALLOW_TEST_OTP_IN_PRODUCTION=true to allow it');
  }
  return parsed;
}

export type SmsProvider = 'console' | 'twilio';
export type EmailProvider = 'console' | 'smtp';

export function loadConfig(env: Env) {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development')!;
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

  const jwtSecret = str(env, 'JWT_SECRET');
  if (jwtSecret === undefined && production) throw new ConfigError('JWT_SECRET', 'must be set in production');
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  const otpSecret = str(env, 'OTP_SECRET');
  if (otpSecret !== undefined && otpSecret.length < 32) throw new ConfigError('OTP_SECRET', 'must be at least 32 characters');

  const defaultCountry = str(env, 'DEFAULT_COUNTRY')?.toUpperCase();
  if (defaultCountry !== undefined && !/^[A-Z]{2}$/.test(defaultCountry)) {
    throw new ConfigError('DEFAULT_COUNTRY', `must be an ISO 3166 region code such as IN or US, got "${defaultCountry}"`);
  }

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
    },
    smtp: {
      /** SMTP_URL, e.g. smtps://user:pass@smtp.example.com:465: required for smtp. */
      url: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      /** EMAIL_FROM, e.g. "Shop <no-reply@example.com>": required for smtp. */
      from: str(env, 'EMAIL_FROM'),
    },
    /** DELIVERY_TIMEOUT_MS, default 10000: every provider call gives up after this. */
    deliveryTimeoutMs: int(env, 'DELIVERY_TIMEOUT_MS', 10000, 100, 120_000),
    /** APP_DEBUG, default false: when delivery fails, answer 200 with the code in data.otp. */
    appDebug: bool(env, 'APP_DEBUG', false),
    /** CLEANUP_INTERVAL_SECONDS, default 60: how often expired codes are deleted. */
    cleanupIntervalSeconds: int(env, 'CLEANUP_INTERVAL_SECONDS', 60, 1, 24 * 3600),
  };

  if (config.smsProvider === 'twilio') {
    if (!config.twilio.accountSid) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be set when SMS_PROVIDER=twilio');
    if (!config.twilio.authToken) throw new ConfigError('TWILIO_AUTH_TOKEN', 'must be set when SMS_PROVIDER=twilio');
    if (!config.twilio.from && !config.twilio.messagingServiceSid) {
      throw new ConfigError('TWILIO_FROM', 'or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_PROVIDER=twilio');
    }
  }
  if (config.emailProvider === 'smtp') {
    if (!config.smtp.url) throw new ConfigError('SMTP_URL', 'must be set when EMAIL_PROVIDER=smtp');
    if (!config.smtp.from) throw new ConfigError('EMAIL_FROM', 'must be set when EMAIL_PROVIDER=smtp');
  }
  return config;
}

export type Config = ReturnType<typeof loadConfig>;
