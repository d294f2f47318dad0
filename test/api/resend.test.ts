// A resend does not strand the code in flight: the code a resend replaced stays valid until its own
// expiry, either code completes the verify, using either ends both, and wrong tries count against
// one budget for the pair. OTP_ACCEPT_PREVIOUS_CODE=false restores strict replacement.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  OTP_TTL_MS,
  SAL27,
  V2,
  expectError,
  expectStatus,
  newPhone,
  otherCode,
  registerPhone,
  smsCode,
  sql,
  tally,
  type Phone,
} from '../support/flows.js';
import { serviceForBlock, type Service } from '../support/service.js';

/** Waits out the cooldown and asks again until the new code differs from every code in `previous`. */
async function resend(service: Service, path: string, body: Record<string, unknown>, e164: string, previous: string[]): Promise<string> {
  for (;;) {
    service.clock.advance(COOLDOWN_MS);
    expectStatus(await service.post(path, body), 200);
    const code = smsCode(service, e164);
    if (!previous.includes(code)) return code;
  }
}

/** A wrong code that is neither of `codes`. */
function wrongCode(codes: string[], offset: number): string {
  let candidate = otherCode(codes[0]!, offset);
  while (codes.includes(candidate)) candidate = otherCode(candidate, 1);
  return candidate;
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('POST /api/v1/auth/resend-registration-otp (the previous code stays valid)', () => {
    const service = serviceForBlock({ backend });
    const ask = (phone: Phone) => ({ type: 'phone', identifier: phone.e164 });
    const verify = (phone: Phone, otp: string) => service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp });

    async function pair(): Promise<{ phone: Phone; first: string; second: string }> {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, ask(phone)), 200);
      const first = smsCode(service, phone.e164);
      const second = await resend(service, V2.resendRegistration, ask(phone), phone.e164, [first]);
      return { phone, first, second };
    }

    it('accepts the first code after a resend, and the second code is then dead', async () => {
      const { phone, first, second } = await pair();
      expectStatus(await verify(phone, first), 201);
      expectError(await verify(phone, second), 400, 'OTP_NOT_FOUND');
    });

    it('accepts the second code after a resend, and the first code is then dead', async () => {
      const { phone, first, second } = await pair();
      expectStatus(await verify(phone, second), 201);
      expectError(await verify(phone, first), 400, 'OTP_NOT_FOUND');
    });

    it('keeps only the code just replaced: after a second resend the first code is refused', async () => {
      const { phone, first, second } = await pair();
      const third = await resend(service, V2.resendRegistration, ask(phone), phone.e164, [first, second]);
      expectError(await verify(phone, first), 400, 'OTP_INVALID');
      expectStatus(await verify(phone, second), 201);
      expectError(await verify(phone, third), 400, 'OTP_NOT_FOUND');
    });

    it('refuses the replaced code after its own expiry while the new one still works', async () => {
      const { phone, first, second } = await pair();
      // The first code was issued one cooldown (60 s) before the second.
      service.clock.advance(OTP_TTL_MS - COOLDOWN_MS + 1000);
      expectError(await verify(phone, first), 400, 'OTP_INVALID');
      expectStatus(await verify(phone, second), 201);
    });

    it('ends both codes after five wrong tries spread over both', async () => {
      const { phone, first, second } = await pair();
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectError(await verify(phone, wrongCode([first, second], attempt)), 400, 'OTP_INVALID');
      }
      expectError(await verify(phone, wrongCode([first, second], 5)), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verify(phone, first), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verify(phone, second), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('gives no fresh guesses with a resend: wrong tries before it still count', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, ask(phone)), 200);
      const first = smsCode(service, phone.e164);
      for (let attempt = 1; attempt <= 3; attempt++) await verify(phone, wrongCode([first], attempt));
      const second = await resend(service, V2.resendRegistration, ask(phone), phone.e164, [first]);
      const answer = await verify(phone, wrongCode([first, second], 4));
      expectError(answer, 400, 'OTP_INVALID');
      expect(answer.body.message).toBe('Invalid OTP. 1 attempt left.');
      expectError(await verify(phone, wrongCode([first, second], 5)), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verify(phone, second), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('gives a fresh budget to a code asked for after the pair was used up', async () => {
      const { phone, first, second } = await pair();
      for (let attempt = 1; attempt <= 5; attempt++) await verify(phone, wrongCode([first, second], attempt));
      const third = await resend(service, V2.resendRegistration, ask(phone), phone.e164, [first, second]);
      expectError(await verify(phone, first), 400, 'OTP_INVALID');
      expectStatus(await verify(phone, third), 201);
    });

    it('counts at most five of 40 parallel wrong guesses split over both codes, then refuses both', async () => {
      const { phone, first, second } = await pair();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, index) => verify(phone, wrongCode([first, second], index + 1))));
      expect(answers.filter((answer) => answer.status === 400), JSON.stringify(tally(answers))).toHaveLength(4);
      const [row] = await sql(service, 'select attempts from otp_challenges where identifier = ?', [phone.e164]);
      expect(Number(row?.attempts)).toBe(5);
      expectError(await verify(phone, first), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verify(phone, second), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('stores both codes only as keyed hashes', async () => {
      const { phone, first, second } = await pair();
      const [row] = await sql(service, 'select code_hash, prev_code_hash from otp_challenges where identifier = ?', [phone.e164]);
      expect(row?.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row?.prev_code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(first);
      expect(JSON.stringify(row)).not.toContain(second);
    });
  });

  describe('POST /api/v1/auth/verify-login-otp after a resend', () => {
    const service = serviceForBlock({ backend });

    it('gives exactly one token for 20 parallel verifies split between the two codes', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const first = smsCode(service, phone.e164);
      const second = await resend(service, V2.resendLogin, { type: 'phone', identifier: phone.e164 }, phone.e164, [first]);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: index % 2 === 0 ? first : second }),
        ),
      );
      const winners = answers.filter((answer) => answer.status === 200);
      expect(winners, JSON.stringify(tally(answers))).toHaveLength(1);
      expect(winners[0]!.body.data.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      for (const answer of answers.filter((a) => a.status !== 200)) expectError(answer, 400, 'OTP_NOT_FOUND');
    });

    it('accepts the first SAL-27 code verified without country code after a resend', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.national, country_code: '+91' }), 200);
      const first = smsCode(service, phone.e164);
      const second = await resend(service, SAL27.loginRequest, { phone: phone.national, country_code: '+91' }, phone.e164, [first]);
      expectStatus(await service.post(SAL27.loginVerify, { phone: phone.national, otp: first }), 200);
      expectError(await service.post(SAL27.loginVerify, { phone: phone.national, otp: second }), 400, 'OTP_NOT_FOUND');
    });
  });

  describe('OTP_ACCEPT_PREVIOUS_CODE=false', () => {
    const service = serviceForBlock({ backend, env: { OTP_ACCEPT_PREVIOUS_CODE: 'false' } });

    it('replaces the old code when a new one is asked for: old 400 OTP_INVALID, new works', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const old = smsCode(service, phone.e164);
      const fresh = await resend(service, V2.resendRegistration, { type: 'phone', identifier: phone.e164 }, phone.e164, [old]);
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: old }), 400, 'OTP_INVALID');
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: fresh }), 201);
    });

    it('replaces an old login code the same way, and gives the new code its own attempts', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const old = smsCode(service, phone.e164);
      for (let attempt = 1; attempt <= 3; attempt++) await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: wrongCode([old], attempt) });
      const fresh = await resend(service, V2.resendLogin, { type: 'phone', identifier: phone.e164 }, phone.e164, [old]);
      const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: old });
      expectError(answer, 400, 'OTP_INVALID');
      expect(answer.body.message).toBe('Invalid OTP. 4 attempts left.');
      expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: fresh }), 200);
    });
  });
});
