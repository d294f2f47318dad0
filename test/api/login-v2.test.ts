// login-api-v2 login: /login, /verify-login-otp, /resend-login-otp, by phone and by email.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  ME,
  V2,
  emailCode,
  emailCount,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  otherCode,
  registerEmail,
  registerPhone,
  setCustomerStatus,
  smsCode,
  smsCount,
  sql,
  REFRESH_FIELDS,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('POST /api/v1/auth/login', () => {
    it('sends a login code by SMS and answers in the spec shape', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.login, { type: 'phone', identifier: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to login' },
      });
      expect(smsCount(service, phone.e164)).toBe(2);
      expect(service.twilio.messages.at(-1)).toMatchObject({ to: phone.e164 });
    });

    it('sends a login code by email and answers in the spec shape', async () => {
      const { email } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.login, { type: 'email', identifier: email });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your email',
        data: { email, expires_in_minutes: 10, message: 'Please verify OTP to login' },
      });
      expect(emailCount(service, email)).toBe(2);
    });

    it('answers 404 ACCOUNT_NOT_FOUND for a phone with no account and sends no SMS', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.login, { type: 'phone', identifier: phone.e164 });
      expectError(answer, 404, 'ACCOUNT_NOT_FOUND');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('answers 404 ACCOUNT_NOT_FOUND for an email with no account and sends no email', async () => {
      const email = newEmail();
      const answer = await service.post(V2.login, { type: 'email', identifier: email });
      expectError(answer, 404, 'ACCOUNT_NOT_FOUND');
      expect(emailCount(service, email)).toBe(0);
    });

    it('answers 404 ACCOUNT_NOT_FOUND for a number whose registration was never verified', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expectError(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 404, 'ACCOUNT_NOT_FOUND');
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it.each([{ status: 'inactive' as const }, { status: 'blocked' as const }])(
      'answers 403 ACCOUNT_INACTIVE for a $status phone account and sends no SMS',
      async ({ status }) => {
        const { phone, customer } = await registerPhone(service);
        await setCustomerStatus(service, customer.id, status);
        service.clock.advance(COOLDOWN_MS);
        const before = smsCount(service, phone.e164);
        expectError(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 403, 'ACCOUNT_INACTIVE');
        expect(smsCount(service, phone.e164)).toBe(before);
      },
    );

    it('answers 403 ACCOUNT_INACTIVE for a blocked email account and sends no email', async () => {
      const { email, customer } = await registerEmail(service);
      await setCustomerStatus(service, customer.id, 'blocked');
      service.clock.advance(COOLDOWN_MS);
      const before = emailCount(service, email);
      expectError(await service.post(V2.login, { type: 'email', identifier: email }), 403, 'ACCOUNT_INACTIVE');
      expect(emailCount(service, email)).toBe(before);
    });
  });

  describe('POST /api/v1/auth/verify-login-otp', () => {
    it('signs a phone customer in with the spec answer (verify without country_code, as in the spec)', async () => {
      const { phone, customer } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.national, country_code: '+91' }), 200);
      const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.national, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'Login successful! Welcome back.',
        data: { customer, access_token: expect.stringMatching(JWT), token_type: 'bearer', expires_in: 3600, ...REFRESH_FIELDS },
      });
      const me = await service.get(ME, { authorization: `Bearer ${answer.body.data.access_token}` });
      expectStatus(me, 200);
      expect(me.body.data.customer).toStrictEqual(customer);
    });

    it('signs an email customer in', async () => {
      const { email, customer } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'email', identifier: email }), 200);
      const answer = await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: emailCode(service, email) });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'Login successful! Welcome back.',
        data: { customer, access_token: expect.stringMatching(JWT), token_type: 'bearer', expires_in: 3600, ...REFRESH_FIELDS },
      });
    });

    it('answers 400 OTP_INVALID for a wrong code', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code) }), 400, 'OTP_INVALID');
    });

    it('answers 400 OTP_NOT_FOUND when no login code was asked for', async () => {
      const { phone } = await registerPhone(service);
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');
    });

    it.each([{ status: 'inactive' as const }, { status: 'blocked' as const }])(
      'answers 403 ACCOUNT_INACTIVE when the account became $status after the code was sent',
      async ({ status }) => {
        const { phone, customer } = await registerPhone(service);
        service.clock.advance(COOLDOWN_MS);
        expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
        await setCustomerStatus(service, customer.id, status);
        const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
        expectError(answer, 403, 'ACCOUNT_INACTIVE');
      },
    );

    it('answers 404 ACCOUNT_NOT_FOUND when the account was deleted after the code was sent', async () => {
      const { email, customer } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'email', identifier: email }), 200);
      await sql(service, 'delete from customers where id = ?', [customer.id]);
      const answer = await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: emailCode(service, email) });
      expectError(answer, 404, 'ACCOUNT_NOT_FOUND');
    });
  });

  describe('POST /api/v1/auth/resend-login-otp', () => {
    it('sends a new code by SMS after the cooldown and says it was resent', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.resendLogin, { type: 'phone', identifier: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP resent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to login' },
      });
      expect(smsCount(service, phone.e164)).toBe(3);
      const verified = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(verified, 200);
    });

    it('sends a new code by email and says it was resent to the email', async () => {
      const { email } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.resendLogin, { type: 'email', identifier: email });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP resent successfully to your email',
        data: { email, expires_in_minutes: 10, message: 'Please verify OTP to login' },
      });
    });

    it('shares the cooldown with /login: 429 OTP_COOLDOWN right after a login code', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      service.clock.advance(15_000);
      const answer = await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 });
      expectError(answer, 429, 'OTP_COOLDOWN');
      expect(answer.body.message).toBe('Please wait 45 seconds before requesting a new OTP');
      expect(answer.headers.get('retry-after')).toBe('45');
    });

    it('answers 404 ACCOUNT_NOT_FOUND for a phone with no account and sends nothing', async () => {
      const phone = newPhone();
      expectError(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 }), 404, 'ACCOUNT_NOT_FOUND');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('answers 403 ACCOUNT_INACTIVE for a blocked account and sends nothing', async () => {
      const { phone, customer } = await registerPhone(service);
      await setCustomerStatus(service, customer.id, 'blocked');
      service.clock.advance(COOLDOWN_MS);
      const before = smsCount(service, phone.e164);
      expectError(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 }), 403, 'ACCOUNT_INACTIVE');
      expect(smsCount(service, phone.e164)).toBe(before);
    });
  });
});
