// When Twilio or the SMTP relay fails (4xx, 5xx, no answer within DELIVERY_TIMEOUT_MS = 1000 in
// the harness, a rejected recipient), the customer hears 503 DELIVERY_FAILED, no code is left
// pending, and the cooldown does not start: asking again at once works.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  SAL27,
  V2,
  emailCode,
  emailCount,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  registerEmail,
  registerPhone,
  smsCode,
  smsCount,
  sql,
} from '../support/flows.js';
import { startService, type Service } from '../support/service.js';
import type { FakeTwilioMode } from '../support/fake-twilio.js';
import type { FakeSmtpMode } from '../support/fake-smtp.js';

const TWILIO_FAILURES: { description: string; mode: FakeTwilioMode }[] = [
  { description: 'Twilio answers 4xx', mode: 'client-error' },
  { description: 'Twilio answers 5xx', mode: 'server-error' },
  { description: 'Twilio never answers', mode: 'hang' },
];

const SMTP_FAILURES: { description: string; mode: FakeSmtpMode }[] = [
  { description: 'the SMTP relay rejects the recipient', mode: 'reject' },
  { description: 'the SMTP relay never answers', mode: 'hang' },
];

describe.each(backendsUnderTest())('%s', (backend) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService({ backend });
  });

  afterEach(() => {
    service.twilio.setMode('ok');
    service.smtp.setMode('ok');
  });

  afterAll(async () => {
    await service?.close();
  });

  async function pendingRows(identifier: string): Promise<number> {
    return (await sql(service, 'select identifier from otp_challenges where identifier = ?', [identifier])).length;
  }

  describe('SMS delivery failures', () => {
    it.each(TWILIO_FAILURES)('answers 503 DELIVERY_FAILED at /register when $description, then lets the customer ask again at once', async ({ mode }) => {
      const phone = newPhone();
      service.twilio.setMode(mode);
      const startedMs = Date.now();
      const failed = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      const tookMs = Date.now() - startedMs;
      expectError(failed, 503, 'DELIVERY_FAILED');
      // No code in the answer (request_id, a random UUID, may hold six digits in a row by chance: left out).
      expect(JSON.stringify({ ...failed.body, request_id: undefined })).not.toMatch(/(?<!\d)\d{6}(?!\d)/);
      if (mode === 'hang') {
        expect(tookMs).toBeGreaterThanOrEqual(900);
        expect(tookMs).toBeLessThan(5000);
      }
      expect(smsCount(service, phone.e164)).toBe(0);
      expect(await pendingRows(phone.e164)).toBe(0);
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');

      service.twilio.setMode('ok');
      const retried = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectStatus(retried, 200);
      expect(retried.body.data).not.toHaveProperty('otp');
      expect(smsCount(service, phone.e164)).toBe(1);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 201);
    });

    it.each(TWILIO_FAILURES)('answers 503 DELIVERY_FAILED at /login when $description, and a login works at once after', async ({ mode }) => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      service.twilio.setMode(mode);
      expectError(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('ok');
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 200);
    });

    it('answers 503 DELIVERY_FAILED at the SAL-27 endpoints and at the resend endpoints', async () => {
      const { phone } = await registerPhone(service);
      const fresh = newPhone();
      service.clock.advance(COOLDOWN_MS);
      service.twilio.setMode('server-error');
      expectError(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 503, 'DELIVERY_FAILED');
      expectError(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 }), 503, 'DELIVERY_FAILED');
      expectError(await service.post(SAL27.registerRequest, { phone: fresh.e164 }), 503, 'DELIVERY_FAILED');
      expectError(await service.post(V2.resendRegistration, { type: 'phone', identifier: fresh.e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('ok');
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      expectStatus(await service.post(SAL27.registerRequest, { phone: fresh.e164 }), 200);
    });

    it('keeps the code already delivered usable when a later resend fails', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const delivered = smsCode(service, phone.e164);
      service.clock.advance(COOLDOWN_MS);
      service.twilio.setMode('server-error');
      expectError(await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('ok');
      // The customer never saw a new code: the one in their SMS must still work.
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: delivered }), 201);
    });

    it('keeps answering 503 (never a cooldown) while Twilio keeps failing', async () => {
      const phone = newPhone();
      service.twilio.setMode('client-error');
      for (let attempt = 1; attempt <= 3; attempt++) {
        expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 503, 'DELIVERY_FAILED');
      }
    });

    it('does not hold other numbers back while one delivery hangs', async () => {
      const slow = newPhone();
      const fast = newPhone();
      service.twilio.setMode('hang');
      const hanging = service.post(V2.register, { type: 'phone', identifier: slow.e164 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      service.twilio.setMode('ok');
      const startedMs = Date.now();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: fast.e164 }), 200);
      expect(Date.now() - startedMs).toBeLessThan(900);
      expectError(await hanging, 503, 'DELIVERY_FAILED');
    });
  });

  describe('email delivery failures', () => {
    it.each(SMTP_FAILURES)('answers 503 DELIVERY_FAILED at /register when $description, then lets the customer ask again at once', async ({ mode }) => {
      const email = newEmail();
      service.smtp.setMode(mode);
      const startedMs = Date.now();
      const failed = await service.post(V2.register, { type: 'email', identifier: email });
      const tookMs = Date.now() - startedMs;
      expectError(failed, 503, 'DELIVERY_FAILED');
      if (mode === 'hang') expect(tookMs).toBeLessThan(5000);
      expect(emailCount(service, email)).toBe(0);
      expect(await pendingRows(email)).toBe(0);

      service.smtp.setMode('ok');
      const retried = await service.post(V2.register, { type: 'email', identifier: email });
      expectStatus(retried, 200);
      expect(retried.body.data).not.toHaveProperty('otp');
      expectStatus(await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: emailCode(service, email) }), 201);
    });

    it('answers 503 DELIVERY_FAILED at /login when the relay rejects, and a login works at once after', async () => {
      const { email } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      service.smtp.setMode('reject');
      expectError(await service.post(V2.login, { type: 'email', identifier: email }), 503, 'DELIVERY_FAILED');
      service.smtp.setMode('ok');
      expectStatus(await service.post(V2.login, { type: 'email', identifier: email }), 200);
      expectStatus(await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: emailCode(service, email) }), 200);
    });

    it('keeps SMS working while email fails', async () => {
      service.smtp.setMode('reject');
      expectError(await service.post(V2.register, { type: 'email', identifier: newEmail() }), 503, 'DELIVERY_FAILED');
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
    });
  });
});
