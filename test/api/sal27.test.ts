// SAL-27: phone-only registration and login under /api/v1/auth/customer/..., served by the same
// core as login-api-v2: an account made through one family signs in through the other.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  ME,
  SAL27,
  V2,
  countRows,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  otherCode,
  registerPhone,
  setCustomerStatus,
  smsCode,
  smsCount,
  type Phone,
  REFRESH_FIELDS,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  async function registerSal27(phone: Phone, profile: Record<string, unknown> = {}) {
    expectStatus(await service.post(SAL27.registerRequest, { phone: phone.e164, ...profile }), 200);
    const answer = await service.post(SAL27.registerVerify, { phone: phone.e164, otp: smsCode(service, phone.e164) });
    expectStatus(answer, 201);
    return answer.body.data as { customer: Record<string, unknown> & { id: number }; access_token: string };
  }

  describe('POST /api/v1/auth/customer/register/request-otp', () => {
    it('sends a registration code by SMS and answers in the envelope', async () => {
      const phone = newPhone();
      const answer = await service.post(SAL27.registerRequest, { phone: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to complete registration' },
      });
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it('sends a new code when asked again after the cooldown (asking again is the resend)', async () => {
      const phone = newPhone();
      expectStatus(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 200);
      const first = smsCode(service, phone.e164);
      expectError(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 429, 'OTP_COOLDOWN');
      let second = first;
      let asked = 1;
      // Two draws coincide one time in a million: ask again until the new code differs.
      while (second === first) {
        service.clock.advance(COOLDOWN_MS);
        expectStatus(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 200);
        asked += 1;
        second = smsCode(service, phone.e164);
      }
      expect(smsCount(service, phone.e164)).toBe(asked);
      // The replaced code stays valid until used or expired; using either ends both (test/api/resend.test.ts).
      expectStatus(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: second }), 201);
      expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: first }), 400, 'OTP_NOT_FOUND');
    });

    it('answers 409 ALREADY_REGISTERED for a registered number and sends nothing', async () => {
      const phone = newPhone();
      await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(SAL27.registerRequest, { phone: phone.national, country_code: '91' });
      expectError(answer, 409, 'ALREADY_REGISTERED');
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it('answers 409 ALREADY_REGISTERED for a number registered through login-api-v2', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectError(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 409, 'ALREADY_REGISTERED');
    });
  });

  describe('POST /api/v1/auth/customer/register/verify-otp', () => {
    it('creates the account and answers 201 with the customer and a token', async () => {
      const phone = newPhone();
      const username = `sal_${phone.national}`;
      expectStatus(await service.post(SAL27.registerRequest, { phone: phone.national, country_code: '+91', name: 'Ravi', username }), 200);
      const answer = await service.post(SAL27.registerVerify, { phone: phone.national, country_code: '+91', otp: smsCode(service, phone.e164) });
      expectStatus(answer, 201);
      expect(answer.body).toStrictEqual({
        success: true,
        message: expect.any(String),
        data: {
          customer: {
            id: expect.any(Number),
            username,
            name: 'Ravi',
            email: null,
            phone: phone.national,
            country_code: '+91',
            phone_e164: phone.e164,
            phone_validate: true,
            email_validate: false,
            status: 'active',
            created_at: new Date(service.clock.now()).toISOString(),
          },
          access_token: expect.stringMatching(JWT),
          token_type: 'bearer',
          expires_in: 3600,
          ...REFRESH_FIELDS,
        },
      });
      expect(await countRows(service, 'customers', 'phone_e164 = ?', [phone.e164])).toBe(1);
    });

    it('stores an email given with the registration as unverified', async () => {
      const phone = newPhone();
      const email = newEmail();
      const data = await registerSal27(phone, { email: email.toUpperCase() });
      expect(data.customer).toMatchObject({ email, email_validate: false, phone_validate: true });
    });

    it('answers 400 OTP_INVALID for a wrong code', async () => {
      const phone = newPhone();
      expectStatus(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 200);
      const wrong = otherCode(smsCode(service, phone.e164));
      expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: wrong }), 400, 'OTP_INVALID');
    });

    it('answers 400 OTP_NOT_FOUND for a number that asked for no code', async () => {
      expectError(await service.post(SAL27.registerVerify, { phone: newPhone().e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');
    });
  });

  describe('POST /api/v1/auth/customer/login/request-otp', () => {
    it('sends a login code by SMS and answers in the envelope', async () => {
      const phone = newPhone();
      await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(SAL27.loginRequest, { phone: phone.e164 });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to login' },
      });
      expect(smsCount(service, phone.e164)).toBe(2);
    });

    it('answers 404 ACCOUNT_NOT_FOUND for a number with no account and sends no SMS', async () => {
      const phone = newPhone();
      expectError(await service.post(SAL27.loginRequest, { phone: phone.national, country_code: '+91' }), 404, 'ACCOUNT_NOT_FOUND');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('answers 403 ACCOUNT_INACTIVE for a blocked account and sends no SMS', async () => {
      const phone = newPhone();
      const data = await registerSal27(phone);
      await setCustomerStatus(service, data.customer.id, 'blocked');
      service.clock.advance(COOLDOWN_MS);
      expectError(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 403, 'ACCOUNT_INACTIVE');
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it('shares the cooldown with login-api-v2 /login for the same number', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const answer = await service.post(SAL27.loginRequest, { phone: phone.national, country_code: '+91' });
      expectError(answer, 429, 'OTP_COOLDOWN');
      expect(answer.headers.get('retry-after')).toBe('60');
    });
  });

  describe('POST /api/v1/auth/customer/login/verify-otp', () => {
    it('signs in with the spec login answer, the phone given without country code', async () => {
      const phone = newPhone();
      const registered = await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.national, country_code: '+91' }), 200);
      const answer = await service.post(SAL27.loginVerify, { phone: phone.national, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'Login successful! Welcome back.',
        data: { customer: registered.customer, access_token: expect.stringMatching(JWT), token_type: 'bearer', expires_in: 3600, ...REFRESH_FIELDS },
      });
    });

    it('answers 400 OTP_INVALID for a wrong code', async () => {
      const phone = newPhone();
      await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      const wrong = otherCode(smsCode(service, phone.e164));
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: wrong }), 400, 'OTP_INVALID');
    });

    it('answers 403 ACCOUNT_INACTIVE when the account became inactive after the code was sent', async () => {
      const phone = newPhone();
      const data = await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      await setCustomerStatus(service, data.customer.id, 'inactive');
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: smsCode(service, phone.e164) }), 403, 'ACCOUNT_INACTIVE');
    });
  });

  describe('one core behind both families', () => {
    it('logs a SAL-27 account in through login-api-v2', async () => {
      const phone = newPhone();
      const registered = await registerSal27(phone);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.national, country_code: '+91' }), 200);
      const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 200);
      expect(answer.body.data.customer).toStrictEqual(registered.customer);
    });

    it('logs a login-api-v2 account in through SAL-27', async () => {
      const { phone, customer } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      const answer = await service.post(SAL27.loginVerify, { phone: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 200);
      expect(answer.body.data.customer).toStrictEqual(customer);
      const me = await service.get(ME, { authorization: `Bearer ${answer.body.data.access_token}` });
      expect(me.body.data.customer).toStrictEqual(customer);
    });

    it('accepts a code asked for through SAL-27 at the login-api-v2 verify', async () => {
      const { phone, customer } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 200);
      expect(answer.body.data.customer.id).toBe(customer.id);
    });

    it('completes a registration asked for through login-api-v2 at the SAL-27 verify', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const answer = await service.post(SAL27.registerVerify, { phone: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 201);
      expect(answer.body.data.customer.phone_e164).toBe(phone.e164);
    });
  });
});
