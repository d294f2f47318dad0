// The rules of a code: ten minutes to live, five wrong tries, single use, bound to its identifier
// and purpose, replaced by a newer one, and stored only as a keyed hash.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  OTP_TTL_MS,
  SAL27,
  V2,
  emailCode,
  expectError,
  expectStatus,
  newEmail,
  newPhone,
  otherCode,
  registerEmail,
  registerPhone,
  smsCode,
  sql,
  type Phone,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  /** Asks for a registration code for a fresh number and returns it. */
  async function pendingRegistration(phone: Phone = newPhone()): Promise<{ phone: Phone; code: string }> {
    expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
    return { phone, code: smsCode(service, phone.e164) };
  }

  /** Waits out the cooldown and asks again until the new code differs from `previous`. */
  async function replaceCode(path: string, body: Record<string, unknown>, e164: string, previous: string): Promise<string> {
    for (;;) {
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(path, body), 200);
      const code = smsCode(service, e164);
      if (code !== previous) return code;
    }
  }

  function verifyRegistration(phone: Phone, otp: string) {
    return service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp });
  }

  describe('expiry', () => {
    it('accepts a code one second before its ten minutes are up', async () => {
      const { phone, code } = await pendingRegistration();
      service.clock.advance(OTP_TTL_MS - 1000);
      expectStatus(await verifyRegistration(phone, code), 201);
    });

    it('answers 400 OTP_EXPIRED for the right code after ten minutes', async () => {
      const { phone, code } = await pendingRegistration();
      service.clock.advance(OTP_TTL_MS + 1000);
      expectError(await verifyRegistration(phone, code), 400, 'OTP_EXPIRED');
    });

    it('answers 400 OTP_EXPIRED for an expired login code', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      service.clock.advance(OTP_TTL_MS + 1000);
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 400, 'OTP_EXPIRED');
    });

    it('answers 400 OTP_EXPIRED for an expired code verified without country code', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.national, country_code: '+91' }), 200);
      const code = smsCode(service, phone.e164);
      service.clock.advance(OTP_TTL_MS + 1000);
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.national, otp: code }), 400, 'OTP_EXPIRED');
    });

    it('lets a new code be asked for after expiry, and that code works', async () => {
      const { phone, code } = await pendingRegistration();
      service.clock.advance(OTP_TTL_MS + 1000);
      const fresh = await replaceCode(V2.register, { type: 'phone', identifier: phone.e164 }, phone.e164, code);
      expectStatus(await verifyRegistration(phone, fresh), 201);
    });
  });

  describe('attempts', () => {
    it('answers 400 OTP_INVALID for each of the first four wrong codes', async () => {
      const { phone, code } = await pendingRegistration();
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectError(await verifyRegistration(phone, otherCode(code, attempt)), 400, 'OTP_INVALID');
      }
      expectStatus(await verifyRegistration(phone, code), 201);
    });

    it('refuses a code after five wrong attempts: 429 on the fifth and on every later try, the right code included', async () => {
      const { phone, code } = await pendingRegistration();
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectError(await verifyRegistration(phone, otherCode(code, attempt)), 400, 'OTP_INVALID');
      }
      expectError(await verifyRegistration(phone, otherCode(code, 5)), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verifyRegistration(phone, code), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verifyRegistration(phone, otherCode(code, 6)), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await verifyRegistration(phone, code), 429, 'OTP_ATTEMPTS_EXCEEDED');
      const rows = await sql(service, 'select attempts from otp_challenges where identifier = ? and purpose = ?', [phone.e164, 'register']);
      expect(rows.map((row) => Number(row.attempts))).toStrictEqual([5]);
    });

    it('refuses a login code after five wrong attempts on the SAL-27 verify', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: otherCode(code, attempt) }), 400, 'OTP_INVALID');
      }
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: otherCode(code, 5) }), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: code }), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('refuses an email code after five wrong attempts', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      const code = emailCode(service, email);
      for (let attempt = 1; attempt <= 5; attempt++) {
        await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: otherCode(code, attempt) });
      }
      expectError(await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: code }), 429, 'OTP_ATTEMPTS_EXCEEDED');
    });

    it('gives a newly asked code a fresh set of attempts', async () => {
      const { phone, code } = await pendingRegistration();
      for (let attempt = 1; attempt <= 5; attempt++) await verifyRegistration(phone, otherCode(code, attempt));
      expectError(await verifyRegistration(phone, code), 429, 'OTP_ATTEMPTS_EXCEEDED');
      const fresh = await replaceCode(V2.register, { type: 'phone', identifier: phone.e164 }, phone.e164, code);
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectError(await verifyRegistration(phone, otherCode(fresh, attempt)), 400, 'OTP_INVALID');
      }
      expectStatus(await verifyRegistration(phone, fresh), 201);
    });

    it('answers 400 OTP_EXPIRED to any code once expired, and a newly asked code works', async () => {
      const { phone, code } = await pendingRegistration();
      service.clock.advance(OTP_TTL_MS + 1000);
      for (let attempt = 1; attempt <= 5; attempt++) {
        expectError(await verifyRegistration(phone, otherCode(code, attempt)), 400, 'OTP_EXPIRED');
      }
      const fresh = await replaceCode(V2.register, { type: 'phone', identifier: phone.e164 }, phone.e164, code);
      expectStatus(await verifyRegistration(phone, fresh), 201);
    });
  });

  describe('single use', () => {
    it('answers 400 OTP_NOT_FOUND when a registration code is used a second time', async () => {
      const { phone, code } = await pendingRegistration();
      expectStatus(await verifyRegistration(phone, code), 201);
      expectError(await verifyRegistration(phone, code), 400, 'OTP_NOT_FOUND');
    });

    it('answers 400 OTP_NOT_FOUND when a login code is used a second time', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 200);
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 400, 'OTP_NOT_FOUND');
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: code }), 400, 'OTP_NOT_FOUND');
    });

    it('answers 400 OTP_NOT_FOUND when an email login code is used a second time', async () => {
      const { email } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'email', identifier: email }), 200);
      const code = emailCode(service, email);
      expectStatus(await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: code }), 200);
      expectError(await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: code }), 400, 'OTP_NOT_FOUND');
    });

    it('keeps no row for a used code', async () => {
      const { phone, code } = await pendingRegistration();
      expectStatus(await verifyRegistration(phone, code), 201);
      expect(await sql(service, 'select identifier from otp_challenges where identifier = ?', [phone.e164])).toStrictEqual([]);
    });
  });

  // How a resend treats the code it replaces: test/api/resend.test.ts.
  describe('replacement', () => {
    it('keeps one pending row per identifier and purpose', async () => {
      const { phone, code } = await pendingRegistration();
      await replaceCode(V2.register, { type: 'phone', identifier: phone.e164 }, phone.e164, code);
      const rows = await sql(service, 'select identifier from otp_challenges where identifier = ? and purpose = ?', [phone.e164, 'register']);
      expect(rows).toHaveLength(1);
    });
  });

  describe('binding to identifier and purpose', () => {
    it('does not accept a login code at the registration verify, and the code stays usable', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await verifyRegistration(phone, code), 400, 'OTP_NOT_FOUND');
      expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: code }), 400, 'OTP_NOT_FOUND');
      expectStatus(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 200);
    });

    it('does not accept a registration code at the login verify, and the code stays usable', async () => {
      const { phone, code } = await pendingRegistration();
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: code }), 400, 'OTP_NOT_FOUND');
      expectError(await service.post(SAL27.loginVerify, { phone: phone.e164, otp: code }), 400, 'OTP_NOT_FOUND');
      expectStatus(await verifyRegistration(phone, code), 201);
    });

    it('does not accept the code of one number for another number that has its own code', async () => {
      const first = await pendingRegistration();
      let second = await pendingRegistration();
      // Two independent draws can coincide (one in a million): draw again until they differ.
      while (second.code === first.code) {
        second = { phone: second.phone, code: await replaceCode(V2.register, { type: 'phone', identifier: second.phone.e164 }, second.phone.e164, second.code) };
      }
      expectError(await verifyRegistration(second.phone, first.code), 400, 'OTP_INVALID');
      expectStatus(await verifyRegistration(first.phone, first.code), 201);
      expectStatus(await verifyRegistration(second.phone, second.code), 201);
    });

    it('does not accept the code of one number for a number that asked for none', async () => {
      const { phone, code } = await pendingRegistration();
      expectError(await verifyRegistration(newPhone(), code), 400, 'OTP_NOT_FOUND');
      expectStatus(await verifyRegistration(phone, code), 201);
    });

    it('does not accept the code of one email for another email', async () => {
      const first = newEmail();
      const second = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: first }), 200);
      const code = emailCode(service, first);
      expectError(await service.post(V2.verifyRegistration, { type: 'email', identifier: second, otp: code }), 400, 'OTP_NOT_FOUND');
      expectStatus(await service.post(V2.verifyRegistration, { type: 'email', identifier: first, otp: code }), 201);
    });
  });

  describe('storage', () => {
    it('stores only a keyed 64-hex-digit hash of the code, in no column the code itself', async () => {
      const { phone, code } = await pendingRegistration();
      const rows = await sql(service, 'select * from otp_challenges where identifier = ?', [phone.e164]);
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      // Not a plain (unkeyed) digest either: a leaked table must not be brute-forced in a million hashes.
      const unkeyed = [code, `register\n${phone.e164}\n${code}`, `${phone.e164}${code}`].map((text) => createHash('sha256').update(text).digest('hex'));
      expect(unkeyed).not.toContain(row.code_hash);
      for (const [column, value] of Object.entries(row)) {
        expect(String(value), `column ${column}`).not.toBe(code);
        expect(value, `column ${column}`).not.toBe(Number(code));
        // Text columns other than the number itself (which may contain any 6 digits) and the hash.
        if (typeof value === 'string' && !['identifier', 'phone_national', 'code_hash', 'expires_at'].includes(column)) {
          expect(String(value), `column ${column}`).not.toContain(code);
        }
      }
    });

    it('stores email codes hashed too', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      const code = emailCode(service, email);
      const rows = await sql(service, 'select * from otp_challenges where identifier = ?', [email]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.code_hash).toMatch(/^[0-9a-f]{64}$/);
      for (const [column, value] of Object.entries(rows[0]!)) expect(String(value), `column ${column}`).not.toBe(code);
    });
  });
});
