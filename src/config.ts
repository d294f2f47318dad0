import { parseLimitRules } from './limit-rules.js';
import { parseTestIdentifiers } from './domain/test-identifiers.js';
import type { LimitRule } from './domain/ports.js';

// Every environment variable the service reads, with its doc and default, in one table.
// loadConfig() is the only place process.env is read; a bad value stops start-up naming the variable.
// The rules that judge settings together (production safety) live in config-rules.ts.
import { inspect } from 'node:util';
import { productionShapedSetting, secretWeakness, unsafeOtpSettings } from './config-rules.js';
import { withoutCredentials, withoutUrlCredentials } from './credentials.js';
import { isSupportedCountry } from 'libphonenumber-js';
import { REFUSABLE_NUMBER_TYPES, type RefusableNumberType } from './domain/phone-policy.js';
import { parseProxyRange } from './http/client-address.js';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JWT_ALGORITHMS, asymmetricAlgorithmOf, type JwtAlgorithm } from './domain/keys.js';

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
type LogFormat = 'json' | 'pretty';

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

/** Comma-separated, trimmed, upper-cased; empty entries dropped. */
function list(env: Env, name: string): string[] | undefined {
  return str(env, name)
    ?.split(',')
    .map((item) => item.trim().toUpperCase())
    .filter((item) => item !== '');
}

function allowedCountries(env: Env): string[] {
  const countries = list(env, 'SMS_ALLOWED_COUNTRIES') ?? [];
  for (const country of countries) {
    if (!isSupportedCountry(country)) throw new ConfigError('SMS_ALLOWED_COUNTRIES', `must list ISO 3166 region codes such as IN or US, got "${country}"`);
  }
  return countries;
}

/** Refused by default: every kind an attack review reached, and landlines (they cannot read an SMS). */
const DEFAULT_REFUSED_NUMBER_TYPES: RefusableNumberType[] = [
  'PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE', 'UAN', 'PAGER', 'VOICEMAIL', 'FIXED_LINE', 'PERSONAL_NUMBER', 'NON_GEOGRAPHIC',
];

function refusedNumberTypes(env: Env): RefusableNumberType[] {
  const types = list(env, 'SMS_REFUSED_NUMBER_TYPES');
  if (types === undefined) return DEFAULT_REFUSED_NUMBER_TYPES;
  if (types.length === 1 && types[0] === 'OFF') return [];
  for (const type of types) {
    if (!(REFUSABLE_NUMBER_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError('SMS_REFUSED_NUMBER_TYPES', `must be off or a list of ${REFUSABLE_NUMBER_TYPES.join(', ')}; got "${type}"`);
    }
  }
  return types as RefusableNumberType[];
}

export type CaptchaProvider = 'turnstile' | 'hcaptcha';

/** The vendors' documented siteverify endpoints. */
const CAPTCHA_VERIFY_URLS: Record<CaptchaProvider, string> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
};

function captcha(env: Env) {
  const provider = oneOf<CaptchaProvider>(env, 'CAPTCHA_PROVIDER', ['turnstile', 'hcaptcha'], undefined);
  if (provider === undefined) return undefined;
  const secret = str(env, 'CAPTCHA_SECRET');
  if (secret === undefined) throw new ConfigError('CAPTCHA_SECRET', `must be set when CAPTCHA_PROVIDER=${provider}`);
  return {
    provider,
    secret,
    verifyUrl: url(env, 'CAPTCHA_VERIFY_URL', ['http:', 'https:']) ?? CAPTCHA_VERIFY_URLS[provider],
    timeoutMs: int(env, 'CAPTCHA_TIMEOUT_MS', 5000, 100, 60_000),
  };
}

/** false: the socket's peer is the client; a hop count; or the proxies' addresses and CIDR ranges. */
export type TrustProxy = false | { hops: number } | { proxies: string[] };

function trustProxy(env: Env): TrustProxy {
  const raw = str(env, 'TRUST_PROXY');
  const lower = raw?.toLowerCase();
  if (lower === undefined || ['false', 'no', 'off', '0'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must not be "${raw}": trusting every proxy takes the client address from the leftmost X-Forwarded-For entry, ` +
        'which the client writes itself. Set the number of proxies in front of the service (TRUST_PROXY=1 for one ' +
        'load balancer) or their addresses (TRUST_PROXY=10.0.0.0/8,fd00::/8)',
    );
  }
  if (/^\d+$/.test(raw!)) return { hops: int(env, 'TRUST_PROXY', 0, 1, 10) };
  const proxies = raw!.split(',').map((entry) => entry.trim());
  for (const entry of proxies) {
    if (parseProxyRange(entry) === undefined) {
      throw new ConfigError('TRUST_PROXY', `must be false, a hop count or a comma list of IP addresses and CIDR ranges, got "${entry}"`);
    }
  }
  return { proxies };
}

export type SmsProvider = 'console' | 'twilio' | 'webhook';
/** A PEM from NAME or from the file NAME_FILE (not both); "\n" escapes in a variable become newlines. */
function pem(env: Env, name: string): { text: string; variable: string } | undefined {
  const inline = str(env, name);
  const file = str(env, `${name}_FILE`);
  if (inline !== undefined && file !== undefined) throw new ConfigError(name, `and ${name}_FILE are both set; set one`);
  if (inline !== undefined) return { text: inline.includes('\n') ? inline : inline.replace(/\\n/g, '\n'), variable: name };
  if (file === undefined) return undefined;
  try {
    return { text: readFileSync(file, 'utf8'), variable: `${name}_FILE` };
  } catch (error) {
    throw new ConfigError(`${name}_FILE`, `cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** JWT_ALG and its keys: the private key must fit the algorithm; previous keys must be public ES256/EdDSA keys. */
function jwtKeys(env: Env, production: boolean) {
  const algorithm = oneOf<JwtAlgorithm>(env, 'JWT_ALG', JWT_ALGORITHMS, 'HS256')!;
  const privatePem = pem(env, 'JWT_PRIVATE_KEY');
  const previousPem = pem(env, 'JWT_PREVIOUS_PUBLIC_KEYS');
  if (algorithm === 'HS256') {
    if (privatePem !== undefined) throw new ConfigError(privatePem.variable, 'is set but JWT_ALG is HS256 (set JWT_ALG=ES256 or EdDSA)');
    if (previousPem !== undefined) throw new ConfigError(previousPem.variable, 'is set but JWT_ALG is HS256 (public keys verify ES256 or EdDSA tokens)');
    return { algorithm, privateKey: undefined, previousPublicKeys: [] };
  }
  if (privatePem === undefined && production) throw new ConfigError('JWT_PRIVATE_KEY', `(or JWT_PRIVATE_KEY_FILE) must be set in production when JWT_ALG=${algorithm}`);
  let privateKey: KeyObject | undefined;
  if (privatePem !== undefined) {
    try {
      privateKey = createPrivateKey(privatePem.text);
    } catch {
      throw new ConfigError(privatePem.variable, 'must hold a PEM private key (PKCS#8 or SEC1)');
    }
    if (asymmetricAlgorithmOf(privateKey) !== algorithm) {
      throw new ConfigError(privatePem.variable, `must be ${algorithm === 'ES256' ? 'an EC P-256' : 'an Ed25519'} key for JWT_ALG=${algorithm}`);
    }
  }
  return { algorithm, privateKey, previousPublicKeys: previousPem === undefined ? [] : publicKeys(previousPem) };
}

/** Every PUBLIC KEY block of a PEM list; a private key has no business there. */
function publicKeys({ text, variable }: { text: string; variable: string }): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const [block, label] of text.matchAll(PEM_BLOCK)) {
    if (label !== 'PUBLIC KEY') throw new ConfigError(variable, `must hold only PUBLIC KEY blocks, found ${label}`);
    let key: KeyObject;
    try {
      key = createPublicKey(block);
    } catch {
      throw new ConfigError(variable, 'holds a PUBLIC KEY block that is not a valid key');
    }
    if (asymmetricAlgorithmOf(key) === undefined) throw new ConfigError(variable, 'must hold EC P-256 or Ed25519 public keys');
    keys.push(key);
  }
  if (keys.length === 0) throw new ConfigError(variable, 'holds no PEM public key');
  return keys;
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

export type EmailProvider = 'console' | 'smtp';

/**
 * An ordered provider list ("twilio,webhook"): tried in that order, each at most once. A provider
 * may appear once, so a list is never longer than the providers that exist.
 */
function providerList<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T[] | undefined): T[] | undefined {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const names = raw.split(',').map((entry) => entry.trim());
  for (const [index, entry] of names.entries()) {
    if (!(allowed as readonly string[]).includes(entry)) {
      throw new ConfigError(name, `must list providers from ${allowed.join(', ')} (comma-separated, in order), got "${entry}"`);
    }
    if (names.indexOf(entry) !== index) throw new ConfigError(name, `lists ${entry} twice`);
  }
  return names as T[];
}

const WINDOW_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `count/window` ("5/30s"; units s, m, h, d) as a count and a window in milliseconds. */
function countPerWindow(name: string, raw: string): { count: number; windowMs: number } {
  const match = /^(\d{1,9})\/(\d{1,9})([smhd])$/.exec(raw.replace(/\s+/g, ''));
  const count = Number(match?.[1] ?? 0);
  const windowMs = Number(match?.[2] ?? 0) * (WINDOW_UNIT_MS[match?.[3] ?? 's'] ?? 0);
  if (count < 1 || windowMs < 1) {
    throw new ConfigError(name, `must be count/window such as 5/30s (units s, m, h, d) or off, got "${raw}"`);
  }
  return { count, windowMs };
}

export interface BreakerRule {
  /** Failures in a row (no success between them) that open a provider's breaker... */
  failures: number;
  /** ...when they all fall within this window. */
  windowMs: number;
  /** How long it stays open before one trial request may go through. */
  openMs: number;
}

function breakerRule(env: Env): BreakerRule | undefined {
  const raw = str(env, 'PROVIDER_BREAKER') ?? '5/30s';
  const openMs = int(env, 'PROVIDER_BREAKER_OPEN_SECONDS', 30, 1, 24 * 3600) * 1000;
  if (raw.toLowerCase() === 'off') return undefined;
  const { count, windowMs } = countPerWindow('PROVIDER_BREAKER', raw);
  return { failures: count, windowMs, openMs };
}

/** An origin as browsers send it in `Origin`: scheme, host and port, nothing else. */
function origin(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must list origins such as https://shop.example.com, got "${raw}"`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== raw.replace(/\/$/, '')) {
    throw new ConfigError(name, `must list origins only (scheme://host[:port], no path), got "${raw}"`);
  }
  return parsed.origin;
}

function origins(env: Env, name: string): string[] {
  return (str(env, name) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => origin(name, entry));
}

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

/** DEFAULT_COUNTRY, optional: also read alone by the admin CLI to resolve a national number. */
export function defaultCountryOf(env: Env): string | undefined {
  const value = str(env, 'DEFAULT_COUNTRY')?.toUpperCase();
  if (value !== undefined && !/^[A-Z]{2}$/.test(value)) {
    throw new ConfigError('DEFAULT_COUNTRY', `must be an ISO 3166 region code such as IN or US, got "${value}"`);
  }
  return value;
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return str(env, name) === undefined ? undefined : int(env, name, 0, min, max);
}

export type Config = ReturnType<typeof loadConfig>;
