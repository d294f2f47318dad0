// APP_DEBUG=true (the spec's development mode): when delivery fails the answer is 200 with the code
// in data.otp, and that code verifies; when delivery works the code is never in the answer.
// Production refuses APP_DEBUG at start (test/api/startup.test.ts); development keeps it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  SAL27,
  V2,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  registerPhone,
  smsCount,
} from '../support/flows.js';
import { startService, type Service } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService({ backend, env: { NODE_ENV: 'development', APP_DEBUG: 'true' } });
  });

  afterEach(() => {
    service.twilio.setMode('ok');
    service.smtp.setMode('ok');
  });

  afterAll(async () => {
    await service?.close();
  });

  describe('APP_DEBUG=true', () => {
    it('answers 200 with data.otp when Twilio fails, and that code completes the registration', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your phone',
        data: {
          phone: phone.national,
          expires_in_minutes: 10,
          message: 'Please verify OTP to complete registration',
          otp: expect.stringMatching(/^\d{6}$/),
        },
      });
      expect(smsCount(service, phone.e164)).toBe(0);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: answer.body.data.otp });
      expectStatus(verified, 201);
      expect(verified.body.data.customer.phone_e164).toBe(phone.e164);
      const logs = service.logs().replace(/"(pid|time)":\d+/g, '');
      expect(logs).not.toMatch(new RegExp(`(?<!\\d)${answer.body.data.otp}(?!\\d)`));
    });

    it('answers 200 with data.otp for a login when Twilio answers 4xx, and the code signs in', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      service.twilio.setMode('client-error');
      const answer = await service.post(SAL27.loginRequest, { phone: phone.e164 });
      expectStatus(answer, 200);
      expect(answer.body.data.otp).toMatch(/^\d{6}$/);
      expectStatus(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: answer.body.data.otp }), 200);
    });

    it('answers 200 with data.otp when Twilio never answers', async () => {
      service.twilio.setMode('hang');
      const answer = await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 });
      expectStatus(answer, 200);
      expect(answer.body.data.otp).toMatch(/^\d{6}$/);
    });

    it('answers 200 with data.otp when the SMTP relay rejects, and the code completes the registration', async () => {
      const email = newEmail();
      service.smtp.setMode('reject');
      const answer = await service.post(V2.register, { type: 'email', identifier: email });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your email',
        data: { email, expires_in_minutes: 10, message: 'Please verify OTP to complete registration', otp: expect.stringMatching(/^\d{6}$/) },
      });
      expectStatus(await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: answer.body.data.otp }), 201);
    });

    it('never puts the code in the answer when delivery works', async () => {
      const phone = newPhone();
      const asked = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectStatus(asked, 200);
      expect(asked.body.data).not.toHaveProperty('otp');
      expect(JSON.stringify(asked.body)).not.toContain(service.twilio.latestCode(phone.e164)!);

      const email = newEmail();
      const emailAsked = await service.post(V2.register, { type: 'email', identifier: email });
      expectStatus(emailAsked, 200);
      expect(emailAsked.body.data).not.toHaveProperty('otp');

      service.clock.advance(COOLDOWN_MS);
      const resent = await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.e164 });
      expectStatus(resent, 200);
      expect(resent.body.data).not.toHaveProperty('otp');
    });

    it('still refuses a wrong code and still applies the cooldown after a successful delivery', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      const otp = answer.body.data.otp as string;
      const wrong = otp === '000000' ? '000001' : '000000';
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: wrong }), 400, 'OTP_INVALID');
      service.twilio.setMode('ok');
      const other = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: other.e164 }), 200);
      expectError(await service.post(V2.register, { type: 'phone', identifier: other.e164 }), 429, 'OTP_COOLDOWN');
    });
  });
});
