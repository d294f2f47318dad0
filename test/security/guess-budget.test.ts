// IDENTIFIER_VERIFY_FAILURE_LIMIT (default 20/1d) and IDENTIFIER_LOCK_SECONDS (3600): wrong codes
// spread over resends stop at the identifier's budget; the lock refuses verify and request-otp.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { COOLDOWN_MS, SAL27, V2, expectError, expectStatus, newPhone, otherCode, registerPhone, smsCode, smsCount } from '../support/flows.js';
import { DEFAULT_LIMITS, inParallel, statuses } from '../support/limits.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('guess budget (IDENTIFIER_VERIFY_FAILURE_LIMIT=20/1d, IDENTIFIER_LOCK_SECONDS=3600)', () => {
    const service = serviceForBlock({ backend, env: DEFAULT_LIMITS });

    it('stops guesses spread over resends at 20, locks the number for an hour, and sends it nothing meanwhile', async () => {
      const { phone } = await registerPhone(service);
      const wrong = (code: string) => service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code) });
      const answers = [];
      for (let round = 0; round < 4; round++) {
        service.clock.advance(COOLDOWN_MS);
        expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
        const code = smsCode(service, phone.e164);
        for (let guess = 0; guess < 5; guess++) answers.push(await wrong(code));
      }
      expect(answers.slice(0, 19).every((answer) => answer.status === 400 || answer.body.code === 'OTP_ATTEMPTS_EXCEEDED')).toBe(true);
      expectError(answers[19]!, 429, 'IDENTIFIER_LOCKED');
      expect(answers[19]!.headers.get('retry-after')).toBe('3600');

      const sent = smsCount(service, phone.e164);
      service.clock.advance(COOLDOWN_MS);
      const asked = await service.post(SAL27.loginRequest, { phone: phone.e164 });
      expectError(asked, 429, 'IDENTIFIER_LOCKED');
      expect(Number(asked.headers.get('retry-after'))).toBeGreaterThan(3000);
      expect(smsCount(service, phone.e164)).toBe(sent);
      // Even the right code is refused while locked.
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 429, 'IDENTIFIER_LOCKED');
      const logs = service.logs();
      expect(logs).toContain('identifier locked');
      expect(logs).not.toContain(phone.e164);
      expect(logs).not.toContain(phone.national);

      // After the lock the customer signs in; one more wrong code (the budget is still spent) locks again.
      service.clock.advance(3600_000);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await wrong(code), 429, 'IDENTIFIER_LOCKED');
      service.clock.advance(3600_000);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 200);
    });

    it('does not reset the failures of the day on a successful sign-in', async () => {
      const { phone } = await registerPhone(service);
      // Rounds 12 minutes apart stay within the send cap (5/1h: one more every 12 minutes).
      for (let round = 0; round < 4; round++) {
        service.clock.advance(720_000);
        expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
        const code = smsCode(service, phone.e164);
        for (let guess = 0; guess < 4; guess++) expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code) }), 400, 'OTP_INVALID');
        expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 200);
      }
      service.clock.advance(720_000);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      for (let guess = 0; guess < 3; guess++) expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code) }), 400, 'OTP_INVALID');
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code) }), 429, 'IDENTIFIER_LOCKED');
    });

    it('counts at most the attempt limit (5) of 40 parallel wrong guesses against one code', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      const answers = await inParallel(40, () => service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: otherCode(code) }));
      const counted = answers.filter((answer) => answer.body.code === 'OTP_INVALID').length;
      expect(counted).toBeLessThanOrEqual(4);
      expect(statuses(answers)[429]).toBeGreaterThanOrEqual(36);
      expect(answers.some((answer) => answer.body.code === 'IDENTIFIER_LOCKED')).toBe(false);
      // Only 5 of the 20 were spent: 15 more wrong codes pass before the lock.
      for (let round = 0; round < 3; round++) {
        service.clock.advance(COOLDOWN_MS);
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
        const next = smsCode(service, phone.e164);
        for (let guess = 0; guess < 5; guess++) await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: otherCode(next) });
      }
      expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 429, 'IDENTIFIER_LOCKED');
    });
  });
});
