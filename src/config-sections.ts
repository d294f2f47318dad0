// The settings of config.ts that take more than one line to read: the database, the SMS
// destination policy, captcha, trusted proxies, signing keys, test identifiers, providers and their
// breaker, messages and secrets. Each reads its variables and throws a ConfigError naming the bad one.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isSupportedCountry } from 'libphonenumber-js';
import { secretWeakness } from './config-rules.js';
import { ConfigError, bool, int, list, oneOf, str, url, type Env } from './config-values.js';
import { withoutCredentials } from './credentials.js';
import { JWT_ALGORITHMS, asymmetricAlgorithmOf, type JwtAlgorithm } from './domain/keys.js';
import { REFUSABLE_NUMBER_TYPES, type RefusableNumberType } from './domain/phone-policy.js';
import { parseTestIdentifiers } from './domain/test-identifiers.js';
import { parseProxyRange } from './http/client-address.js';

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

export function allowedCountries(env: Env): string[] {
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

export function refusedNumberTypes(env: Env): RefusableNumberType[] {
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

export function captcha(env: Env) {
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

export function trustProxy(env: Env): TrustProxy {
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

/** A PEM from NAME or from the file NAME_FILE (not both); "\n" escapes in a variable become newlines. */
export function pem(env: Env, name: string): { text: string; variable: string } | undefined {
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
export function jwtKeys(env: Env, production: boolean) {
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
export function publicKeys({ text, variable }: { text: string; variable: string }): KeyObject[] {
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

export function testIdentifiers(env: Env, production: boolean) {
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

/**
 * An ordered provider list ("twilio,webhook"): tried in that order, each at most once. A provider
 * may appear once, so a list is never longer than the providers that exist.
 */
export function providerList<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T[] | undefined): T[] | undefined {
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
export function countPerWindow(name: string, raw: string): { count: number; windowMs: number } {
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

export function breakerRule(env: Env): BreakerRule | undefined {
  const raw = str(env, 'PROVIDER_BREAKER') ?? '5/30s';
  const openMs = int(env, 'PROVIDER_BREAKER_OPEN_SECONDS', 30, 1, 24 * 3600) * 1000;
  if (raw.toLowerCase() === 'off') return undefined;
  const { count, windowMs } = countPerWindow('PROVIDER_BREAKER', raw);
  return { failures: count, windowMs, openMs };
}

/** What the messages customers receive are made from (src/domain/messages/). */
export function messageSettings(env: Env) {
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
export function secret(env: Env, name: string, production: boolean): string | undefined {
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
