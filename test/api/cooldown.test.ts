// The 60-second resend cooldown (per identifier and purpose, with Retry-After and the spec's
// message) and the per-address limits (IP_SEND_LIMIT, IP_VERIFY_LIMIT; off in the other suites).
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  SAL27,
  V2,
  emailCount,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  registerPhone,
  setCustomerStatus,
  smsCode,
  smsCount,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('OTP resend cooldown', () => {
    const service = serviceForBlock({ backend });

    it('answers 429 OTP_COOLDOWN with Retry-After and "Please wait N seconds", N counting down, then allows a new code after 60 s', async () => {
      const phone = newPhone();
      const body = { type: 'phone', identifier: phone.e164 };
      expectStatus(await service.post(V2.register, body), 200);

      const checks: { afterMs: number; seconds: number }[] = [
        { afterMs: 0, seconds: 60 },
        { afterMs: 15_000, seconds: 45 },
        { afterMs: 59_000, seconds: 1 },
        { afterMs: 59_500, seconds: 1 },
        { afterMs: 59_999, seconds: 1 },
      ];
      let elapsedMs = 0;
      for (const { afterMs, seconds } of checks) {
        service.clock.advance(afterMs - elapsedMs);
        elapsedMs = afterMs;
        const answer = await service.post(V2.resendRegistration, body);
        expectError(answer, 429, 'OTP_COOLDOWN');
        expect(answer.body.message, `after ${afterMs} ms`).toBe(`Please wait ${seconds} seconds before requesting a new OTP`);
        expect(answer.headers.get('retry-after'), `after ${afterMs} ms`).toBe(String(seconds));
      }
      expect(smsCount(service, phone.e164)).toBe(1);

      service.clock.advance(COOLDOWN_MS - elapsedMs);
      const allowed = await service.post(V2.resendRegistration, body);
      expectStatus(allowed, 200);
      expect(smsCount(service, phone.e164)).toBe(2);
    });

    it('rounds a part second up: 30.5 s left is "Please wait 31 seconds"', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      service.clock.advance(29_500);
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectError(answer, 429, 'OTP_COOLDOWN');
      expect(answer.body.message).toBe('Please wait 31 seconds before requesting a new OTP');
      expect(answer.headers.get('retry-after')).toBe('31');
    });

    it('leaves the pending code alone when a request is refused by the cooldown', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 429, 'OTP_COOLDOWN');
      expectError(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 429, 'OTP_COOLDOWN');
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code }), 201);
    });

    it('applies to email codes too, and sends no second email', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      service.clock.advance(10_000);
      const answer = await service.post(V2.resendRegistration, { type: 'email', identifier: email });
      expectError(answer, 429, 'OTP_COOLDOWN');
      expect(answer.body.message).toBe('Please wait 50 seconds before requesting a new OTP');
      expect(answer.headers.get('retry-after')).toBe('50');
      expect(emailCount(service, email)).toBe(1);
    });

    it('is per identifier: another number is not held back', async () => {
      const first = newPhone();
      const second = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: first.e164 }), 200);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: second.e164 }), 200);
    });

    it('is per purpose: a login code after a just-verified registration code is not held back', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 201);
      // Still inside the registration code's cooldown, but that was another purpose.
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      expectError(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 }), 429, 'OTP_COOLDOWN');
    });

    it('does not start when a login request is refused as ACCOUNT_INACTIVE', async () => {
      const { phone, customer } = await registerPhone(service);
      await setCustomerStatus(service, customer.id, 'inactive');
      service.clock.advance(COOLDOWN_MS);
      expectError(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 403, 'ACCOUNT_INACTIVE');
      await setCustomerStatus(service, customer.id, 'active');
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
    });

    it('does not start when a registration is refused as USERNAME_TAKEN', async () => {
      const username = `cool_${newPhone().national}`;
      await registerPhone(service, newPhone(), { username });
      const phone = newPhone();
      expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164, username }), 409, 'USERNAME_TAKEN');
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
    });
  });

  describe('per-address limits (IP_SEND_LIMIT=3/1m, IP_VERIFY_LIMIT=3/1m)', () => {
    const service = serviceForBlock({ backend, env: { IP_SEND_LIMIT: '3/1m', IP_VERIFY_LIMIT: '3/1m' } });

    it('answers the 4th code request from one address with 429 RATE_LIMITED and Retry-After, and sends nothing', async () => {
      for (let request = 1; request <= 3; request++) {
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
      }
      const phone = newPhone();
      const fourth = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectError(fourth, 429, 'RATE_LIMITED');
      // GCRA: after a burst of 3, one more every 60/3 = 20 s.
      expect(fourth.headers.get('retry-after')).toBe('20');
      expect(smsCount(service, phone.e164)).toBe(0);
      // The SAL-27 family shares the limit.
      expectError(await service.post(SAL27.registerRequest, { phone: newPhone().e164 }), 429, 'RATE_LIMITED');

      service.clock.advance(15_000);
      const later = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectError(later, 429, 'RATE_LIMITED');
      expect(later.headers.get('retry-after')).toBe('5');

      service.clock.advance(5_000);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
    });

    it('limits verifies from one address the same way', async () => {
      service.clock.advance(60_000);
      for (let attempt = 1; attempt <= 3; attempt++) {
        expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: newPhone().e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');
      }
      const fourth = await service.post(V2.verifyLogin, { type: 'phone', identifier: newPhone().e164, otp: '123456' });
      expectError(fourth, 429, 'RATE_LIMITED');
      expect(fourth.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    });
  });
});
