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
