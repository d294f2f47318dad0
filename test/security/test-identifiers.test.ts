// TEST_OTP_NUMBERS: fixed codes for end-to-end tests and app-store review. Such identifiers are
// sent nothing and are exempt from the cooldown, send caps and SMS budgets, but not from the
// per-code attempt limit or the failure budget; production refuses them unless allowed.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { SAL27, V2, emailCount, expectError, expectStatus, smsCount } from '../support/flows.js';
import { DEFAULT_LIMITS } from '../support/limits.js';
import { spawnService } from '../support/process.js';
import { TEST_JWT_SECRET, serviceForBlock, startService } from '../support/service.js';

const TEST_OTP_NUMBERS = '+91 99999-00001=123456, QA@Example.com=000000';

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('test identifiers (TEST_OTP_NUMBERS)', () => {
    const service = serviceForBlock({ backend, env: { ...DEFAULT_LIMITS, SMS_BUDGET_PER_COUNTRY: '2/1h', TEST_OTP_NUMBERS } });

    it('accepts a test phone in any spelling with its fixed code, and sends it nothing', async () => {
      expectStatus(await service.post(SAL27.registerRequest, { phone: '9999900001', country_code: '+91' }), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: '+919999900001', otp: '123456' }), 201);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: '099999 00001', country_code: '91' }), 200);
      expectStatus(await service.post(SAL27.loginVerify, { phone: '9999900001', country_code: '+91', otp: '123456' }), 200);
      expect(smsCount(service, '+919999900001')).toBe(0);
    });

    it('accepts a test email with its fixed code, and sends it nothing', async () => {
      expectStatus(await service.post(V2.register, { type: 'email', identifier: 'qa@example.com' }), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'email', identifier: 'Qa@Example.com', otp: '000000' }), 201);
      expect(emailCount(service, 'qa@example.com')).toBe(0);
    });

    it('exempts test identifiers from the cooldown, the send cap and the SMS budgets', async () => {
      for (let i = 0; i < 12; i++) expectStatus(await service.post(V2.login, { type: 'phone', identifier: '+919999900001' }), 200);
      for (let i = 0; i < 12; i++) expectStatus(await service.post(V2.login, { type: 'email', identifier: 'qa@example.com' }), 200);
    });

    it('keeps the per-code attempt limit and the failure budget for them', async () => {
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: '+919999900001' }), 200);
      for (let i = 0; i < 4; i++) expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: '+919999900001', otp: '654321' }), 400, 'OTP_INVALID');
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: '+919999900001', otp: '654321' }), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: '+919999900001', otp: '123456' }), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });
  });
});

describe('test identifiers in production', () => {
  const production = { NODE_ENV: 'production', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console', ALLOW_CONSOLE_DELIVERY: 'true' };

  it('refuses to start with TEST_OTP_NUMBERS in production, naming the variable', async () => {
    const started = spawnService({ ...production, JWT_SECRET: TEST_JWT_SECRET, TEST_OTP_NUMBERS });
    await expect(started).rejects.toThrow(/Invalid configuration: TEST_OTP_NUMBERS is set in production; set ALLOW_TEST_OTP_IN_PRODUCTION=true/);
  });

  it('refuses a malformed entry, naming the variable', async () => {
    const started = spawnService({ JWT_SECRET: 'x'.repeat(40), TEST_OTP_NUMBERS: '9999900001=123456' });
    await expect(started).rejects.toThrow(/Invalid configuration: TEST_OTP_NUMBERS has an identifier that is neither/);
  });

  it('starts with ALLOW_TEST_OTP_IN_PRODUCTION=true and logs a warning', async () => {
    const service = await startService({ env: { NODE_ENV: 'production', TEST_OTP_NUMBERS, ALLOW_TEST_OTP_IN_PRODUCTION: 'true' } });
    try {
      expect(service.logs()).toMatch(/"level":40.*TEST_OTP_NUMBERS is on in production/);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: '+919999900001' }), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: '+919999900001', otp: '123456' }), 201);
    } finally {
      await service.close();
    }
  });
});
