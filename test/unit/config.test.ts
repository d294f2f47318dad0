import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'x'.repeat(40);
const TWILIO = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006' };
const SMTP = { EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_FROM: 'a@b.test' };
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
    ['SMS_PROVIDER', { ...TWILIO, SMS_PROVIDER: 'twilio,twilio' }],
    ['SMS_PROVIDER', { ...TWILIO, SMS_PROVIDER: 'twilio,,console' }],
    ['SMS_PROVIDER', { SMS_PROVIDER: 'console,smtp' }],
    ['EMAIL_PROVIDER', { EMAIL_PROVIDER: 'console,webhook' }],
    ['TWILIO_ACCOUNT_SID', { SMS_PROVIDER: 'console,twilio' }],
    ['SMS_WEBHOOK_URL', { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_SECRET: WEBHOOK.SMS_WEBHOOK_SECRET }],
    ['SMS_WEBHOOK_URL', { ...WEBHOOK, SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'ftp://gateway' }],
    ['SMS_WEBHOOK_SECRET', { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: WEBHOOK.SMS_WEBHOOK_URL }],
    ['SMS_WEBHOOK_SECRET', { ...WEBHOOK, SMS_PROVIDER: 'webhook', SMS_WEBHOOK_SECRET: 'w'.repeat(31) }],
    ['PROVIDER_BREAKER', { PROVIDER_BREAKER: 'five' }],
    ['PROVIDER_BREAKER', { PROVIDER_BREAKER: '5/30' }],
    ['PROVIDER_BREAKER', { PROVIDER_BREAKER: '0/30s' }],
    ['PROVIDER_BREAKER', { PROVIDER_BREAKER: '5/0s' }],
    ['PROVIDER_BREAKER', { PROVIDER_BREAKER: '5/30s,10/1m' }],
    ['PROVIDER_BREAKER_OPEN_SECONDS', { PROVIDER_BREAKER_OPEN_SECONDS: '0' }],
  ])('stops start-up naming %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('reads an ordered provider list for each channel, a single name still working', () => {
    const config = loadConfig({ ...TWILIO, ...WEBHOOK, ...SMTP, SMS_PROVIDER: ' twilio , webhook,console', EMAIL_PROVIDER: 'smtp,console' });
    expect(config.smsProviders).toEqual(['twilio', 'webhook', 'console']);
    expect(config.emailProviders).toEqual(['smtp', 'console']);
    expect(loadConfig({ ...WEBHOOK, SMS_PROVIDER: 'webhook' }).smsProviders).toEqual(['webhook']);
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
});
