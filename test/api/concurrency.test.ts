// Real parallel HTTP requests against the listening server: verification, attempt counting,
// account creation and code requests each have exactly one winner.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  SAL27,
  V2,
  countRows,
  emailCount,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  otherCode,
  registerPhone,
  smsCode,
  smsCount,
  sql,
  tally,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('POST /api/v1/auth/verify-login-otp in parallel', () => {
    it('gives exactly one token for 25 parallel verifies of one correct code; the rest 400 OTP_NOT_FOUND', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);

      const answers = await Promise.all(
        Array.from({ length: 25 }, () => service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code })),
      );
      const winners = answers.filter((answer) => answer.status === 200);
      expect(winners, JSON.stringify(tally(answers))).toHaveLength(1);
      expect(winners[0]!.body.data.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      for (const answer of answers.filter((a) => a.status !== 200)) expectError(answer, 400, 'OTP_NOT_FOUND');
    });

    it('gives exactly one token when the same code is verified in parallel through both families', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          index % 2 === 0
            ? service.post(V2.verifyLogin, { type: 'phone', identifier: phone.national, country_code: '+91', otp: code })
            : service.post(SAL27.loginVerify, { phone: phone.e164, otp: code }),
        ),
      );
      expect(answers.filter((answer) => answer.status === 200), JSON.stringify(tally(answers))).toHaveLength(1);
      for (const answer of answers.filter((a) => a.status !== 200)) expectError(answer, 400, 'OTP_NOT_FOUND');
    });

    it('counts at most five of 40 parallel wrong guesses, then refuses the right code', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);

      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: otherCode(code, index + 1) }),
        ),
      );
      const counts = tally(answers);
      // Five counted: four answered "invalid", the fifth used them up; every other guess was refused uncounted.
      expect(counts).toStrictEqual({ '400 OTP_INVALID': 4, '429 OTP_ATTEMPTS_EXCEEDED': 36 });
      for (const answer of answers) {
        expectError(answer, answer.status, answer.status === 400 ? 'OTP_INVALID' : 'OTP_ATTEMPTS_EXCEEDED');
      }

      const rows = await sql(service, 'select attempts from otp_challenges where identifier = ? and purpose = ?', [phone.e164, 'login']);
      expect(rows.map((row) => Number(row.attempts))).toStrictEqual([5]);
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('lets the right code win or lose cleanly against parallel wrong guesses, never both', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      const guesses = Array.from({ length: 20 }, (_, index) => (index === 10 ? code : otherCode(code, index + 1)));
      const answers = await Promise.all(guesses.map((otp) => service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp })));
      const counts = tally(answers);
      expect(answers.filter((answer) => answer.status === 200).length, JSON.stringify(counts)).toBeLessThanOrEqual(1);
      expect(counts['400 OTP_INVALID'] ?? 0, JSON.stringify(counts)).toBeLessThanOrEqual(4);
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
    });
  });

  describe('POST /api/v1/auth/verify-registration-otp in parallel', () => {
    it('creates exactly one account for 20 parallel verifies of the correct code', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);

      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code })),
      );
      const created = answers.filter((answer) => answer.status === 201);
      expect(created, JSON.stringify(tally(answers))).toHaveLength(1);
      for (const answer of answers.filter((a) => a.status !== 201)) {
        expect(['OTP_NOT_FOUND', 'ALREADY_REGISTERED'], JSON.stringify(answer.body)).toContain(answer.body.code);
        expectError(answer, answer.status, answer.body.code);
        expect(answer.status).toBeLessThan(500);
      }
      expect(await countRows(service, 'customers', 'phone_e164 = ?', [phone.e164])).toBe(1);
    });

    it('creates exactly one account for 20 parallel verifies of an email code', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      const code = service.smtp.latestCode(email)!;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: code })),
      );
      expect(answers.filter((answer) => answer.status === 201), JSON.stringify(tally(answers))).toHaveLength(1);
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
      expect(await countRows(service, 'customers', 'email = ?', [email])).toBe(1);
    });
  });

  describe('one username, several registrations verified in parallel', () => {
    it('gives the username sent on the verify to one account and answers the others 409 USERNAME_TAKEN', async () => {
      const username = `par_${newPhone().national}`;
      const phones = [newPhone(), newPhone(), newPhone(), newPhone()];
      for (const phone of phones) expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const answers = await Promise.all(
        phones.map((phone) => service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164), username })),
      );
      expect(tally(answers)).toStrictEqual({ '201 ok': 1, '409 USERNAME_TAKEN': 3 });
      expect(await countRows(service, 'customers', 'username = ?', [username])).toBe(1);
    });

    // Was 409 for the losers: a username stored with the code never refuses a correct code.
    it('gives a username stored with the codes to one account and creates the others without it, saying so', async () => {
      const username = `par_stored_${newPhone().national}`;
      const phones = [newPhone(), newPhone(), newPhone(), newPhone()];
      for (const phone of phones) expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, username }), 200);
      const answers = await Promise.all(
        phones.map((phone) => service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) })),
      );
      expect(tally(answers)).toStrictEqual({ '201 ok': 4 });
      const withUsername = answers.filter((answer) => answer.body.data.customer.username === username);
      expect(withUsername).toHaveLength(1);
      expect(withUsername[0]!.body.data).not.toHaveProperty('profile_warnings');
      for (const answer of answers.filter((a) => a.body.data.customer.username !== username)) {
        expect(answer.body.data.customer.username).toBeNull();
        expect(answer.body.data.profile_warnings).toStrictEqual([{ field: 'username', code: 'USERNAME_TAKEN', message: expect.any(String) }]);
      }
      expect(await countRows(service, 'customers', 'username = ?', [username])).toBe(1);
    });
  });

  describe('code requests in parallel', () => {
    it('sends exactly one SMS for 20 parallel requests for one number; the rest 429 OTP_COOLDOWN', async () => {
      const phone = newPhone();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.post(V2.register, { type: 'phone', identifier: phone.e164 })),
      );
      expect(tally(answers)).toStrictEqual({ '200 ok': 1, '429 OTP_COOLDOWN': 19 });
      for (const answer of answers.filter((a) => a.status === 429)) {
        expectError(answer, 429, 'OTP_COOLDOWN');
        expect(answer.headers.get('retry-after')).toBe('60');
      }
      expect(smsCount(service, phone.e164)).toBe(1);
      // The one message carries the one live code.
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 201);
    });

    it('sends exactly one SMS for parallel requests for one number in different spellings and families', async () => {
      const phone = newPhone();
      const answers = await Promise.all(
        Array.from({ length: 18 }, (_, index) => {
          switch (index % 3) {
            case 0:
              return service.post(V2.register, { type: 'phone', identifier: phone.e164 });
            case 1:
              return service.post(V2.resendRegistration, { type: 'phone', identifier: phone.national, country_code: '91' });
            default:
              return service.post(SAL27.registerRequest, { phone: `0${phone.national}`, country_code: '+91' });
          }
        }),
      );
      expect(tally(answers)).toStrictEqual({ '200 ok': 1, '429 OTP_COOLDOWN': 17 });
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it('sends exactly one email for 20 parallel requests for one address', async () => {
      const email = newEmail();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.post(V2.register, { type: 'email', identifier: email })),
      );
      expect(tally(answers)).toStrictEqual({ '200 ok': 1, '429 OTP_COOLDOWN': 19 });
      expect(emailCount(service, email)).toBe(1);
    });
  });
});
