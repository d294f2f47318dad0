import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

// Strong enough for production: what `openssl rand -base64 48` prints, fixed for the test.
const SECRET = 'q3V9x+Lr2mZk8TfJpWc0Yd7sHn4uBe6GaXo1Ri5NlQvEjKyMtCwDzSbFhPgIU2/A';
const TWILIO = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006' };
const SMTP = { EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_FROM: 'a@b.test' };
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO, ...SMTP };

/** The ConfigError loadConfig throws for this environment (fails the test when it starts instead). */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}
const WEBHOOK = { SMS_WEBHOOK_URL: 'https://sms-gateway.internal/send', SMS_WEBHOOK_SECRET: 'w'.repeat(32) };

describe('loadConfig', () => {
  it('runs in development with no settings at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      database: { kind: 'sqlite', path: './data/customer-auth.db' },
      smsProviders: ['console'],
      emailProviders: ['console'],
      providerBreaker: { failures: 5, windowMs: 30_000, openMs: 30_000 },
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
    expect(loadConfig({ NODE_ENV: 'development', DATABASE_URL: url }).database).toEqual(database);
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
    ['TWILIO_ACCOUNT_SID', { NODE_ENV: 'test', SMS_PROVIDER: 'twilio' }],
    ['TWILIO_FROM', { NODE_ENV: 'test', SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't' }],
    ['SMTP_URL', { NODE_ENV: 'test', EMAIL_PROVIDER: 'smtp' }],
    ['EMAIL_FROM', { NODE_ENV: 'test', EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://h' }],
    ['SMS_PROVIDER', { NODE_ENV: 'test', ...TWILIO, SMS_PROVIDER: 'twilio,twilio' }],
    ['SMS_PROVIDER', { NODE_ENV: 'test', ...TWILIO, SMS_PROVIDER: 'twilio,,console' }],
    ['SMS_PROVIDER', { NODE_ENV: 'test', SMS_PROVIDER: 'console,smtp' }],
    ['EMAIL_PROVIDER', { NODE_ENV: 'test', EMAIL_PROVIDER: 'console,webhook' }],
    ['TWILIO_ACCOUNT_SID', { NODE_ENV: 'test', SMS_PROVIDER: 'console,twilio' }],
    ['SMS_WEBHOOK_URL', { NODE_ENV: 'test', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_SECRET: WEBHOOK.SMS_WEBHOOK_SECRET }],
    ['SMS_WEBHOOK_URL', { NODE_ENV: 'test', ...WEBHOOK, SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'ftp://gateway' }],
    ['SMS_WEBHOOK_SECRET', { NODE_ENV: 'test', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: WEBHOOK.SMS_WEBHOOK_URL }],
    ['SMS_WEBHOOK_SECRET', { NODE_ENV: 'test', ...WEBHOOK, SMS_PROVIDER: 'webhook', SMS_WEBHOOK_SECRET: 'w'.repeat(31) }],
    ['PROVIDER_BREAKER', { NODE_ENV: 'test', PROVIDER_BREAKER: 'five' }],
    ['PROVIDER_BREAKER', { NODE_ENV: 'test', PROVIDER_BREAKER: '5/30' }],
    ['PROVIDER_BREAKER', { NODE_ENV: 'test', PROVIDER_BREAKER: '0/30s' }],
    ['PROVIDER_BREAKER', { NODE_ENV: 'test', PROVIDER_BREAKER: '5/0s' }],
    ['PROVIDER_BREAKER', { NODE_ENV: 'test', PROVIDER_BREAKER: '5/30s,10/1m' }],
    ['PROVIDER_BREAKER_OPEN_SECONDS', { NODE_ENV: 'test', PROVIDER_BREAKER_OPEN_SECONDS: '0' }],
  ])('stops start-up naming %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('reads an ordered provider list for each channel, a single name still working', () => {
    const config = loadConfig({ NODE_ENV: 'test', ...TWILIO, ...WEBHOOK, ...SMTP, SMS_PROVIDER: ' twilio , webhook,console', EMAIL_PROVIDER: 'smtp,console' });
    expect(config.smsProviders).toEqual(['twilio', 'webhook', 'console']);
    expect(config.emailProviders).toEqual(['smtp', 'console']);
    expect(loadConfig({ NODE_ENV: 'test', ...WEBHOOK, SMS_PROVIDER: 'webhook' }).smsProviders).toEqual(['webhook']);
  });

  it.each([
    ['3/10s', { failures: 3, windowMs: 10_000, openMs: 30_000 }],
    ['10 / 2m', { failures: 10, windowMs: 120_000, openMs: 30_000 }],
    ['1/1h', { failures: 1, windowMs: 3_600_000, openMs: 30_000 }],
    ['2/1d', { failures: 2, windowMs: 86_400_000, openMs: 30_000 }],
  ])('reads PROVIDER_BREAKER=%s', (rule, breaker) => {
    expect(loadConfig({ PROVIDER_BREAKER: rule }).providerBreaker).toEqual(breaker);
  });

  it('turns the breaker off with PROVIDER_BREAKER=off and reads its open period', () => {
    expect(loadConfig({ PROVIDER_BREAKER: 'off' }).providerBreaker).toBeUndefined();
    expect(loadConfig({ PROVIDER_BREAKER_OPEN_SECONDS: '90' }).providerBreaker?.openMs).toBe(90_000);
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
      expect(loadConfig({ ...env, ALLOW_CONSOLE_DELIVERY: 'true' }).smsProviders).toEqual(['console']);
    });

    it('refuses a console anywhere in a provider list unless ALLOW_CONSOLE_DELIVERY=true', () => {
      const env = { NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO, ...SMTP };
      expect(() => loadConfig({ ...env, SMS_PROVIDER: 'twilio,console' })).toThrow(/SMS_PROVIDER.*ALLOW_CONSOLE_DELIVERY/);
      expect(() => loadConfig({ ...env, EMAIL_PROVIDER: 'smtp,console' })).toThrow(/EMAIL_PROVIDER.*ALLOW_CONSOLE_DELIVERY/);
      expect(loadConfig({ ...env, SMS_PROVIDER: 'twilio,console', ALLOW_CONSOLE_DELIVERY: 'true' }).smsProviders).toEqual(['twilio', 'console']);
    });

    it('starts with real providers and a secret', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...TWILIO, ...SMTP }).production).toBe(true);
    });
  });

  describe('with NODE_ENV unset', () => {
    it.each([
      ['a real SMS provider', { ...TWILIO }, 'SMS_PROVIDER=twilio'],
      ['a real email provider', { ...SMTP }, 'EMAIL_PROVIDER=smtp'],
      ['a PostgreSQL database', { DATABASE_URL: 'postgres://auth:pw@db.internal/auth' }, 'a PostgreSQL DATABASE_URL'],
      ['a Redis', { REDIS_URL: 'redis://cache.internal:6379' }, 'REDIS_URL'],
      ['every interface', { HOST: '0.0.0.0' }, 'HOST=0.0.0.0'],
      ['every IPv6 interface', { HOST: '::' }, 'HOST=::'],
      ['a LAN address', { HOST: '10.1.2.3' }, 'HOST=10.1.2.3'],
      ['a host name', { HOST: 'auth.internal' }, 'HOST=auth.internal'],
    ])('refuses %s, asking for NODE_ENV and naming the setting', (_label, env, named) => {
      const message = refusal(env);
      expect(message).toMatch(/^Invalid configuration: NODE_ENV is unset/);
      expect(message).toContain(named);
      expect(message).toContain('NODE_ENV=production');
      expect(message).not.toContain('pw@');
    });

    it.each([
      ['nothing set (a fresh clone)', {}],
      ['HOST=127.0.0.1', { HOST: '127.0.0.1' }],
      ['another 127/8 address', { HOST: '127.0.0.2' }],
      ['HOST=::1', { HOST: '::1' }],
      ['HOST=localhost', { HOST: 'localhost' }],
      ['a SQLite file elsewhere', { DATABASE_URL: 'sqlite:/tmp/auth.db' }],
      ['console providers named', { SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console' }],
    ])('runs as development with %s', (_label, env) => {
      expect(loadConfig(env).nodeEnv).toBe('development');
    });

    it.each(['development', 'test'])('accepts production-shaped settings when NODE_ENV=%s says so', (nodeEnv) => {
      const env = { NODE_ENV: nodeEnv, ...TWILIO, ...SMTP, DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379', HOST: '0.0.0.0' };
      expect(loadConfig(env).nodeEnv).toBe(nodeEnv);
    });
  });

  describe('APP_DEBUG', () => {
    it('refuses to start in production with APP_DEBUG=true, naming it', () => {
      expect(refusal({ ...PRODUCTION, APP_DEBUG: 'true' })).toMatch(/^Invalid configuration: APP_DEBUG must not be true in production/);
    });

    it.each([
      ['development', { NODE_ENV: 'development' }],
      ['NODE_ENV unset', {}],
      ['test', { NODE_ENV: 'test' }],
    ])('keeps the spec\'s debug mode in %s', (_label, env) => {
      expect(loadConfig({ ...env, APP_DEBUG: 'true' }).appDebug).toBe(true);
    });
  });

  describe.each(['JWT_SECRET', 'OTP_SECRET'])('%s', (variable) => {
    it.each([
      ['31 bytes', 'k7Q2mX9pL4vR8sT1wY6zB3nC5dF0gH2', 'must be at least 32 bytes, got 31'],
      ['one character repeated', 'a'.repeat(48), 'only 1 distinct characters'],
      ['a word repeated', 'password'.repeat(6), 'only 7 distinct characters'],
      ['nine distinct characters in no pattern', '3141592653589793238462643383279512884197', 'only 9 distinct characters'],
      ['a 10-character pattern repeated', 'ab1cd2ef3g'.repeat(4), 'a shorter string repeated'],
      ['a 12-character pattern repeated, the last copy cut short', 'Kx7#pQ2!mZ9&'.repeat(3) + 'Kx7#p', 'a shorter string repeated'],
      ['a random half, then the same half again', 'q3V9x+Lr2mZk8TfJpWc0Yd7sHn4uBe6G'.repeat(2), 'a shorter string repeated'],
    ])('refuses %s in production, without quoting it', (_label, secret, reason) => {
      const message = refusal({ ...PRODUCTION, [variable]: secret });
      expect(message).toContain(`Invalid configuration: ${variable} `);
      expect(message).toContain(reason);
      expect(message).toContain('openssl rand -base64 48');
      expect(message).not.toContain(secret.slice(0, 8));
    });

    it.each([
      ['base64 of 48 random bytes', SECRET],
      ['hex of 32 random bytes (16 distinct characters)', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['a long passphrase', 'correct horse battery staple, then 7 more words!'],
      ['multi-byte characters, 32 bytes or more', 'ñandú-pingüino-cóndor-ibis-águila'],
    ])('accepts %s in production', (_label, secret) => {
      expect(loadConfig({ ...PRODUCTION, [variable]: secret }).production).toBe(true);
    });

    it('checks only the length in development', () => {
      expect(refusal({ [variable]: 'k7Q2mX9pL4vR8sT1wY6zB3nC5dF0gH2' })).toContain(`${variable} must be at least 32 bytes`);
      expect(loadConfig({ [variable]: 'x'.repeat(40) }).nodeEnv).toBe('development');
    });
  });

  describe('unsafe OTP settings in production', () => {
    const unsafe = [
      ['OTP_LENGTH', '4'],
      ['OTP_LENGTH', '5'],
      ['OTP_MAX_ATTEMPTS', '11'],
      ['OTP_MAX_ATTEMPTS', '100'],
      ['OTP_RESEND_COOLDOWN_SECONDS', '0'],
    ] as const;

    it.each(unsafe)('refuses %s=%s unless ALLOW_UNSAFE_OTP_SETTINGS=true', (variable, value) => {
      const message = refusal({ ...PRODUCTION, [variable]: value });
      expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable} is ${value}: `));
      expect(message).toContain('ALLOW_UNSAFE_OTP_SETTINGS=true');
    });

    it.each(unsafe)('lets ALLOW_UNSAFE_OTP_SETTINGS=true run %s=%s, with a warning for start-up', (variable, value) => {
      const config = loadConfig({ ...PRODUCTION, [variable]: value, ALLOW_UNSAFE_OTP_SETTINGS: 'true' });
      expect(config.warnings).toEqual([expect.stringMatching(new RegExp(`^${variable} is ${value}: .*ALLOW_UNSAFE_OTP_SETTINGS=true`))]);
    });

    it('accepts the limits themselves, with no warning', () => {
      const config = loadConfig({ ...PRODUCTION, OTP_LENGTH: '6', OTP_MAX_ATTEMPTS: '10', OTP_RESEND_COOLDOWN_SECONDS: '1' });
      expect(config.warnings).toEqual([]);
    });

    it('leaves development free to use them, with no warning', () => {
      const config = loadConfig({ OTP_LENGTH: '4', OTP_MAX_ATTEMPTS: '100', OTP_RESEND_COOLDOWN_SECONDS: '0' });
      expect(config.warnings).toEqual([]);
    });
  });

  describe('URLs in its messages', () => {
    it.each([
      ['DATABASE_URL', 'postgress://auth:hunter2-secret@db.internal/auth'],
      ['DATABASE_URL', 'mysql://auth:hunter2-secret@db.internal/auth'],
      ['DATABASE_URL', 'postgres:/auth:hunter2-secret@db.internal/auth'],
      ['DATABASE_URL', 'auth:hunter2-secret@db.internal:5432/auth'],
      ['DATABASE_URL', 'pg://db.internal/auth?password=hunter2-secret'],
      ['REDIS_URL', 'http://default:hunter2-secret@cache.internal:6379'],
      ['REDIS_URL', 'redis://default:hunter2-secret@cache.internal:99999'],
      ['SMTP_URL', 'http://mailer:hunter2-secret@smtp.internal:587'],
      ['SMTP_URL', 'smtps://mailer:hunter2-secret@smtp internal:465'],
      ['TWILIO_API_BASE_URL', 'ftp://AC1:hunter2-secret@api.twilio.test'],
    ])('names %s without its credentials (%s)', (variable, value) => {
      const message = refusal({ NODE_ENV: 'test', [variable]: value });
      expect(message).toContain(variable);
      expect(message).not.toContain('hunter2');
    });
  });

  describe('SMS destinations and captcha', () => {
    it('refuses premium-rate, shared-cost, toll-free, UAN, pager, voicemail, landline, personal and non-geographic numbers by default, in every country', () => {
      const config = loadConfig({});
      expect(config.smsAllowedCountries).toEqual([]);
      expect(config.smsRefusedNumberTypes).toEqual([
        'PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE', 'UAN', 'PAGER', 'VOICEMAIL', 'FIXED_LINE', 'PERSONAL_NUMBER', 'NON_GEOGRAPHIC',
      ]);
      expect(config.captcha).toBeUndefined();
    });

    it('reads lists in any case with spaces, and off turns the number-type check off', () => {
      expect(loadConfig({ SMS_ALLOWED_COUNTRIES: ' in, gb ' }).smsAllowedCountries).toEqual(['IN', 'GB']);
      expect(loadConfig({ SMS_REFUSED_NUMBER_TYPES: 'voip, pager' }).smsRefusedNumberTypes).toEqual(['VOIP', 'PAGER']);
      expect(loadConfig({ SMS_REFUSED_NUMBER_TYPES: 'off' }).smsRefusedNumberTypes).toEqual([]);
    });

    it.each([
      ['SMS_ALLOWED_COUNTRIES', { SMS_ALLOWED_COUNTRIES: 'IN,XX' }],
      ['SMS_ALLOWED_COUNTRIES', { SMS_ALLOWED_COUNTRIES: 'India' }],
      ['SMS_REFUSED_NUMBER_TYPES', { SMS_REFUSED_NUMBER_TYPES: 'MOBILE' }],
      ['SMS_REFUSED_NUMBER_TYPES', { SMS_REFUSED_NUMBER_TYPES: 'FIXED_LINE_OR_MOBILE' }],
      ['SMS_REFUSED_NUMBER_TYPES', { SMS_REFUSED_NUMBER_TYPES: 'PREMIUM' }],
      ['CAPTCHA_PROVIDER', { CAPTCHA_PROVIDER: 'recaptcha', CAPTCHA_SECRET: 's' }],
      ['CAPTCHA_SECRET', { CAPTCHA_PROVIDER: 'turnstile' }],
      ['CAPTCHA_VERIFY_URL', { CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: 's', CAPTCHA_VERIFY_URL: 'ftp://x' }],
      ['CAPTCHA_TIMEOUT_MS', { CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: 's', CAPTCHA_TIMEOUT_MS: '0' }],
    ])('stops start-up naming %s for %j', (variable, env) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(variable);
    });

    it.each([
      ['turnstile', 'https://challenges.cloudflare.com/turnstile/v0/siteverify'],
      ['hcaptcha', 'https://api.hcaptcha.com/siteverify'],
    ])('defaults CAPTCHA_VERIFY_URL to the %s siteverify endpoint', (provider, verifyUrl) => {
      expect(loadConfig({ CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: 's' }).captcha).toEqual({ provider, secret: 's', verifyUrl, timeoutMs: 5000 });
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

describe('loadConfig: messages and the resend rule', () => {
  it('defaults to English, two SMS segments, no autofill lines, no receipts, and the previous code accepted', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.messages).toEqual({ templatesDir: undefined, defaultLocale: 'en', webotpDomain: undefined, androidAppHash: undefined, smsMaxSegments: 2 });
    expect(config.twilio.statusCallbackUrl).toBeUndefined();
    expect(config.otpAcceptPreviousCode).toBe(true);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DEFAULT_LOCALE: 'hi',
      TEMPLATES_DIR: '/etc/auth/templates',
      WEBOTP_DOMAIN: 'Shop.Example.com',
      ANDROID_APP_HASH: 'FA+9qCX9VSu',
      SMS_MAX_SEGMENTS: '1',
      OTP_ACCEPT_PREVIOUS_CODE: 'false',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 't',
      TWILIO_FROM: '+15005550006',
      TWILIO_STATUS_CALLBACK_URL: 'https://auth.shop.example.com/api/v1/webhooks/twilio/status',
    });
    expect(config.messages).toEqual({
      templatesDir: '/etc/auth/templates',
      defaultLocale: 'hi',
      webotpDomain: 'shop.example.com',
      androidAppHash: 'FA+9qCX9VSu',
      smsMaxSegments: 1,
    });
    expect(config.otpAcceptPreviousCode).toBe(false);
    expect(config.twilio.statusCallbackUrl).toBe('https://auth.shop.example.com/api/v1/webhooks/twilio/status');
  });

  it.each([
    { env: { DEFAULT_LOCALE: 'english!' }, message: /^Invalid configuration: DEFAULT_LOCALE must be a BCP 47 language tag/ },
    { env: { WEBOTP_DOMAIN: 'https://shop.example.com' }, message: /^Invalid configuration: WEBOTP_DOMAIN must be a host name/ },
    { env: { WEBOTP_DOMAIN: 'shop.example.com:8443' }, message: /^Invalid configuration: WEBOTP_DOMAIN must be a host name/ },
    { env: { ANDROID_APP_HASH: 'tooshort' }, message: /^Invalid configuration: ANDROID_APP_HASH must be the 11-character app hash/ },
    { env: { ANDROID_APP_HASH: 'FA+9qCX9VSu!' }, message: /^Invalid configuration: ANDROID_APP_HASH must be the 11-character app hash/ },
    { env: { SMS_MAX_SEGMENTS: '0' }, message: /^Invalid configuration: SMS_MAX_SEGMENTS must be between 1 and 10/ },
    { env: { OTP_ACCEPT_PREVIOUS_CODE: 'maybe' }, message: /^Invalid configuration: OTP_ACCEPT_PREVIOUS_CODE must be true or false/ },
    { env: { TWILIO_STATUS_CALLBACK_URL: 'not a url' }, message: /^Invalid configuration: TWILIO_STATUS_CALLBACK_URL must be a URL/ },
    { env: { TWILIO_STATUS_CALLBACK_URL: 'https://auth.shop.example.com/hook' }, message: /^Invalid configuration: TWILIO_STATUS_CALLBACK_URL needs SMS_PROVIDER to list twilio/ },
  ] as Array<{ env: Record<string, string>; message: RegExp }>)('refuses $env, naming the variable', ({ env, message }) => {
    expect(refusal(env)).toMatch(message);
  });
});

// The browser-facing settings: WEB_UI, PUBLIC_ORIGIN, CORS_ORIGINS.
describe('loadConfig: the web page and cookie mode', () => {
  it('serves the page by default in development only, and elsewhere when WEB_UI says so', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).webUi).toBe(false);
    expect(loadConfig({}).webUi).toBe(true);
    expect(loadConfig({ WEB_UI: 'false' }).webUi).toBe(false);
    expect(loadConfig(PRODUCTION).webUi).toBe(false);
    expect(loadConfig({ ...PRODUCTION, WEB_UI: 'true' }).webUi).toBe(true);
  });

  it('has no CORS origins and no PUBLIC_ORIGIN by default', () => {
    expect(loadConfig({})).toMatchObject({ corsOrigins: [], publicOrigin: undefined });
  });

  it('reads CORS_ORIGINS as a comma list of origins and PUBLIC_ORIGIN as one (a trailing slash tolerated)', () => {
    const config = loadConfig({ CORS_ORIGINS: ' https://shop.example.com , http://localhost:5173/', PUBLIC_ORIGIN: 'https://auth.example.com/' });
    expect(config.corsOrigins).toStrictEqual(['https://shop.example.com', 'http://localhost:5173']);
    expect(config.publicOrigin).toBe('https://auth.example.com');
  });

  it.each([
    ['a path', { CORS_ORIGINS: 'https://shop.example.com/app' }, 'CORS_ORIGINS must list origins only'],
    ['not a URL', { CORS_ORIGINS: 'shop.example.com' }, 'CORS_ORIGINS must list origins such as'],
    ['another scheme', { PUBLIC_ORIGIN: 'ftp://auth.example.com' }, 'PUBLIC_ORIGIN must list origins only'],
    ['a wildcard', { CORS_ORIGINS: '*' }, 'CORS_ORIGINS must list origins such as'],
    ['WEB_UI not a boolean', { WEB_UI: 'maybe' }, 'WEB_UI must be true or false'],
  ])('refuses %s, naming the variable', (_case, env, message) => {
    expect(refusal(env)).toContain(message);
  });
});
