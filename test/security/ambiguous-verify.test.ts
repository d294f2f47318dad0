// Issue 8, finding 4: a verify without country_code finds the code by its national digits. A
// stranger's request for the same digits in another country (+33 612345671 beside +34 612345671)
// made the owner's correct verify answer OTP_NOT_FOUND. Now the code is checked against every
// live candidate (at most five): the one it matches wins, and a wrong guess counts against each.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { COOLDOWN_MS, SAL27, V2, expectError, expectStatus, otherCode, smsCode, sql, tally } from '../support/flows.js';
import { type Service, serviceForBlock } from '../support/service.js';

/**
 * Nine national digits that are a valid number in France, Spain, Germany, Austria, Switzerland, Poland...
 * (mobiles in some, landlines in others: the number-type check is off here, see below).
 */
let digitSequence = 0;
function newDigits(): string {
  digitSequence += 1;
  return `6123${String(digitSequence).padStart(5, '0')}`;
}

const FRANCE = '+33';
const SPAIN = '+34';
const MORE_COUNTRIES = ['+49', '+43', '+41', '+48', '+31'];

async function askRegistration(service: Service, digits: string, countryCode: string): Promise<string> {
  expectStatus(await service.post(V2.register, { type: 'phone', identifier: digits, country_code: countryCode }), 200);
  return smsCode(service, `${countryCode}${digits}`);
}

async function attemptsOf(service: Service, e164: string, purpose: 'register' | 'login'): Promise<number[]> {
  const rows = await sql(service, 'select attempts from otp_challenges where identifier = ? and purpose = ?', [e164, purpose]);
  return rows.map((row) => Number(row.attempts));
}

/** A code that is neither of `codes`. */
function wrongFor(...codes: string[]): string {
  let offset = 1;
  let guess = otherCode(codes[0]!, offset);
  while (codes.includes(guess)) guess = otherCode(codes[0]!, ++offset);
  return guess;
}

describe.each(backendsUnderTest())('%s', (backend) => {
  // The attack needs the same digits to be a valid number in six countries, and only three of them
  // call 6123xxxxx a mobile: SMS_REFUSED_NUMBER_TYPES (tested in sms-destinations.test.ts) is off here.
  const service = serviceForBlock({ backend, env: { SMS_REFUSED_NUMBER_TYPES: 'off' } });

  describe('POST /api/v1/auth/verify-registration-otp without country_code', () => {
    it('verifies the owner when a stranger asked for the same national digits in another country', async () => {
      const digits = newDigits();
      const victimCode = await askRegistration(service, digits, SPAIN);
      await askRegistration(service, digits, FRANCE);

      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: digits, otp: victimCode });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ phone_e164: `${SPAIN}${digits}`, country_code: SPAIN, phone: digits });
      // The stranger's code is untouched: it was neither consumed nor charged.
      expect(await attemptsOf(service, `${FRANCE}${digits}`, 'register')).toStrictEqual([0]);
    });

    it('counts a wrong guess against every candidate and says how many tries are left', async () => {
      const digits = newDigits();
      const spanish = await askRegistration(service, digits, SPAIN);
      const french = await askRegistration(service, digits, FRANCE);

      const answer = await service.post(V2.verifyRegistration, { type: 'phone', identifier: digits, otp: wrongFor(spanish, french) });
      expectError(answer, 400, 'OTP_INVALID');
      expect(answer.body.message).toBe('Invalid OTP. 4 attempts left.');
      expect(await attemptsOf(service, `${SPAIN}${digits}`, 'register')).toStrictEqual([1]);
      expect(await attemptsOf(service, `${FRANCE}${digits}`, 'register')).toStrictEqual([1]);
    });

    it('lets no candidate take more than five of 30 parallel wrong guesses, then refuses every right code', async () => {
      const digits = newDigits();
      const spanish = await askRegistration(service, digits, SPAIN);
      const french = await askRegistration(service, digits, FRANCE);
      const german = await askRegistration(service, digits, '+49');
      const wrong = wrongFor(spanish, french, german);

      const answers = await Promise.all(
        Array.from({ length: 30 }, () => service.post(V2.verifyRegistration, { type: 'phone', identifier: digits, otp: wrong })),
      );
      const counts = tally(answers);
      expect(Object.keys(counts).sort(), JSON.stringify(counts)).toStrictEqual(['400 OTP_INVALID', '429 OTP_ATTEMPTS_EXCEEDED']);
      // Each candidate counts five; a guess is "invalid" while any candidate still had tries.
      expect(counts['400 OTP_INVALID'], JSON.stringify(counts)).toBeLessThanOrEqual(3 * 4);
      for (const country of [SPAIN, FRANCE, '+49']) expect(await attemptsOf(service, `${country}${digits}`, 'register')).toStrictEqual([5]);

      for (const code of [spanish, french, german]) {
        expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: digits, otp: code }), 429, 'OTP_ATTEMPTS_EXCEEDED');
      }
      expect(await sql(service, 'select id from customers where phone_national = ?', [digits])).toStrictEqual([]);
    });

    it('checks up to five candidates, and answers OTP_NOT_FOUND beyond that (country_code still works)', async () => {
      const five = newDigits();
      const fiveCodes: string[] = [];
      for (const country of [SPAIN, FRANCE, ...MORE_COUNTRIES.slice(0, 3)]) fiveCodes.push(await askRegistration(service, five, country));
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: five, otp: fiveCodes[4] }), 201);

      const six = newDigits();
      const sixCodes: string[] = [];
      for (const country of [SPAIN, FRANCE, ...MORE_COUNTRIES.slice(0, 4)]) sixCodes.push(await askRegistration(service, six, country));
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: six, otp: sixCodes[0] }), 400, 'OTP_NOT_FOUND');
      expect(await attemptsOf(service, `${SPAIN}${six}`, 'register')).toStrictEqual([0]);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: six, country_code: SPAIN, otp: sixCodes[0] }), 201);
    });
  });

  describe('POST /api/v1/auth/customer/login/verify-otp without country_code', () => {
    it('signs the owner in when another country\'s account has a login code for the same digits', async () => {
      const digits = newDigits();
      const owner = await service.post(V2.verifyRegistration, {
        type: 'phone',
        identifier: digits,
        country_code: SPAIN,
        otp: await askRegistration(service, digits, SPAIN),
      });
      expectStatus(owner, 201);
      expectStatus(
        await service.post(V2.verifyRegistration, { type: 'phone', identifier: digits, country_code: FRANCE, otp: await askRegistration(service, digits, FRANCE) }),
        201,
      );
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: digits, country_code: FRANCE }), 200);
      expectStatus(await service.post(SAL27.loginRequest, { phone: digits, country_code: SPAIN }), 200);

      const signedIn = await service.post(SAL27.loginVerify, { phone: digits, otp: smsCode(service, `${SPAIN}${digits}`) });
      expectStatus(signedIn, 200);
      expect(signedIn.body.data.customer.id).toBe(owner.body.data.customer.id);
    });
  });
});
