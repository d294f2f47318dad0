import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'x'.repeat(40);
const TWILIO = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006' };
const SMTP = { EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_FROM: 'a@b.test' };

describe('loadConfig', () => {
  it('runs in development with no settings at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      database: { kind: 'sqlite', path: './data/customer-auth.db' },
      smsProvider: 'console',
      emailProvider: 'console',
      otpLength: 6,
      otpTtlSeconds: 600,
      otpMaxAttempts: 5,
      otpResendCooldownSeconds: 60,
      jwtTtlSeconds: 3600,
      jwtIssuer: 'customer-auth',
      deliveryTimeoutMs: 10000,
      appDebug: false,
    });
    expect(config.jwtSecret).toBeUndefined();
  });

  it.each([
    ['postgres://u@h/db', { kind: 'postgres', url: 'postgres://u@h/db', poolMax: 10 }],
    ['postgresql://u@h/db', { kind: 'postgres', url: 'postgresql://u@h/db', poolMax: 10 }],
    ['sqlite:/var/lib/auth.db', { kind: 'sqlite', path: '/var/lib/auth.db' }],
    ['sqlite:relative/auth.db', { kind: 'sqlite', path: 'relative/auth.db' }],
  ])('reads DATABASE_URL=%s', (url, database) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it('keeps a setting of 0 as 0 (cooldown off)', () => {
    expect(loadConfig({ OTP_RESEND_COOLDOWN_SECONDS: '0' }).otpResendCooldownSeconds).toBe(0);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['OTP_LENGTH', { OTP_LENGTH: '3' }],
    ['OTP_TTL_SECONDS', { OTP_TTL_SECONDS: '-1' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_URL', { DATABASE_URL: 'sqlite:' }],
    ['APP_DEBUG', { APP_DEBUG: 'maybe' }],
    ['SMS_PROVIDER', { SMS_PROVIDER: 'carrier-pigeon' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['OTP_SECRET', { OTP_SECRET: 'short' }],
    ['DEFAULT_COUNTRY', { DEFAULT_COUNTRY: 'India' }],
    ['REDIS_URL', { REDIS_URL: 'http://localhost' }],
    ['TWILIO_ACCOUNT_SID', { SMS_PROVIDER: 'twilio' }],
    ['TWILIO_FROM', { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't' }],
    ['SMTP_URL', { EMAIL_PROVIDER: 'smtp' }],
    ['EMAIL_FROM', { EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://h' }],
  ])('stops start-up naming %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  describe('in production', () => {
    it('requires JWT_SECRET', () => {
      expect(() => loadConfig({ NODE_ENV: 'production', ...TWILIO, ...SMTP })).toThrow('JWT_SECRET');
    });

    it('requires the providers to be chosen', () => {
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...SMTP })).toThrow('SMS_PROVIDER');
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO })).toThrow('EMAIL_PROVIDER');
    });

    it('refuses the console providers unless ALLOW_CONSOLE_DELIVERY=true', () => {
      const env = { NODE_ENV: 'production', JWT_SECRET: SECRET, SMS_PROVIDER: 'console', ...SMTP };
      expect(() => loadConfig(env)).toThrow('ALLOW_CONSOLE_DELIVERY');
      expect(loadConfig({ ...env, ALLOW_CONSOLE_DELIVERY: 'true' }).smsProvider).toBe('console');
    });

    it('starts with real providers and a secret', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO, ...SMTP }).production).toBe(true);
    });
  });
});

describe('loadConfig: sessions and signing keys', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const ecPrivate = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const edPrivate = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const edPublic = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const directory = mkdtempSync(join(tmpdir(), 'customer-auth-config-'));
  const file = (name: string, text: string) => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  };

  it('defaults to HS256, 30-day refresh tokens and a 10 s reuse grace', () => {
    expect(loadConfig({})).toMatchObject({
      jwtAlgorithm: 'HS256',
      jwtPrivateKey: undefined,
      jwtPreviousPublicKeys: [],
      jwtAudience: undefined,
      refreshTtlSeconds: 2_592_000,
      refreshReuseGraceSeconds: 10,
    });
  });

  it('keeps REFRESH_REUSE_GRACE_SECONDS=0 as 0 (grace off)', () => {
    expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '0' }).refreshReuseGraceSeconds).toBe(0);
  });

  it('reads an ES256 key from JWT_PRIVATE_KEY, also with \\n escapes for newlines', () => {
    expect(loadConfig({ JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate }).jwtPrivateKey?.asymmetricKeyType).toBe('ec');
    expect(loadConfig({ JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate.replace(/\n/g, '\\n') }).jwtPrivateKey?.asymmetricKeyType).toBe('ec');
  });

  it('reads an EdDSA key from JWT_PRIVATE_KEY_FILE and previous public keys from a PEM list', () => {
    const config = loadConfig({
      JWT_ALG: 'EdDSA',
      JWT_PRIVATE_KEY_FILE: file('ed.pem', edPrivate),
      JWT_PREVIOUS_PUBLIC_KEYS: `${ecPublic}\n${edPublic}`,
    });
    expect(config.jwtPrivateKey?.asymmetricKeyType).toBe('ed25519');
    expect(config.jwtPreviousPublicKeys.map((key) => key.asymmetricKeyType)).toStrictEqual(['ec', 'ed25519']);
  });

  it.each([
    ['JWT_ALG', { JWT_ALG: 'RS256' }],
    ['JWT_ALG', { JWT_ALG: 'none' }],
    ['JWT_PRIVATE_KEY', { JWT_PRIVATE_KEY: ecPrivate }],
    ['JWT_PREVIOUS_PUBLIC_KEYS', { JWT_PREVIOUS_PUBLIC_KEYS: ecPublic }],
    ['JWT_PRIVATE_KEY', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: 'not a key' }],
    ['JWT_PRIVATE_KEY', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: edPrivate }],
    ['JWT_PRIVATE_KEY', { JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY: ecPrivate }],
    ['JWT_PRIVATE_KEY', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate, JWT_PRIVATE_KEY_FILE: '/tmp/x.pem' }],
    ['JWT_PRIVATE_KEY_FILE', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }],
    ['JWT_PREVIOUS_PUBLIC_KEYS', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate, JWT_PREVIOUS_PUBLIC_KEYS: edPrivate }],
    ['JWT_PREVIOUS_PUBLIC_KEYS', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate, JWT_PREVIOUS_PUBLIC_KEYS: 'garbage' }],
    ['JWT_PREVIOUS_PUBLIC_KEYS_FILE', { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: ecPrivate, JWT_PREVIOUS_PUBLIC_KEYS_FILE: '/nonexistent/keys.pem' }],
    ['REFRESH_TTL_SECONDS', { REFRESH_TTL_SECONDS: '30d' }],
    ['REFRESH_TTL_SECONDS', { REFRESH_TTL_SECONDS: '10' }],
    ['REFRESH_REUSE_GRACE_SECONDS', { REFRESH_REUSE_GRACE_SECONDS: '-1' }],
  ])('stops start-up naming %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('requires the private key in production when JWT_ALG is ES256 or EdDSA', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO, ...SMTP };
    expect(() => loadConfig({ ...production, JWT_ALG: 'ES256' })).toThrow('JWT_PRIVATE_KEY');
    expect(() => loadConfig({ ...production, JWT_ALG: 'EdDSA' })).toThrow('JWT_PRIVATE_KEY');
    expect(loadConfig({ ...production, JWT_ALG: 'ES256', JWT_PRIVATE_KEY_FILE: file('ec.pem', ecPrivate) }).jwtAlgorithm).toBe('ES256');
  });
});
