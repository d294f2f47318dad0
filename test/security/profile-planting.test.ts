// Issue 8, finding 3: a stranger could plant profile fields (name, username, email) in someone
// else's pending registration; they were merged into the pending row, outlived new codes and even
// the code's expiry, and were applied to the account of whoever later proved the number. Profile
// fields are now bound to the code issued with them, and the verify's own fields win.
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
  registerEmail,
  registerPhone,
  smsCode,
  sql,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  /** What a stranger sends for someone else's number. */
  function planted(label: string) {
    return { name: 'Mallory', username: `mallory_${label}`, email: newEmail('attacker') };
  }

  describe('POST /api/v1/auth/register for someone else\'s number', () => {
    it('does not apply a stranger\'s fields once the owner asks for a code of their own', async () => {
      const victim = newPhone();
      const planting = planted(victim.national);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, ...planting }), 200);
      service.clock.advance(COOLDOWN_MS);

      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.national, country_code: '+91', name: 'Victor' }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: victim.e164, otp: smsCode(service, victim.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: 'Victor', username: null, email: null, phone_e164: victim.e164 });
      expect(await sql(service, 'select id from customers where lower(username) = lower(?) or email = ?', [planting.username, planting.email])).toStrictEqual([]);
    });

    it('does not apply a stranger\'s fields when the owner registers through SAL-27 without any', async () => {
      const victim = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, ...planted(victim.national) }), 200);
      service.clock.advance(COOLDOWN_MS);

      expectStatus(await service.post(SAL27.registerRequest, { phone: victim.e164 }), 200);
      const verified = await service.post(SAL27.registerVerify, { phone: victim.e164, otp: smsCode(service, victim.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: null, username: null, email: null });
    });

    it('does not apply a phone a stranger planted on someone else\'s email registration', async () => {
      const victim = newEmail('victim');
      expectStatus(await service.post(V2.register, { type: 'email', identifier: victim, phone: newPhone().e164 }), 200);
      service.clock.advance(COOLDOWN_MS);

      expectStatus(await service.post(V2.register, { type: 'email', identifier: victim }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'email', identifier: victim, otp: emailCode(service, victim) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ email: victim, phone: null, phone_e164: null, country_code: null });
    });
  });

  describe('fields planted with a code that expired', () => {
    it.each([
      { description: 'a resend in the spec\'s shape', ask: (national: string) => ({ path: V2.resendRegistration, body: { type: 'phone', identifier: national, country_code: '+91' } }) },
      { description: 'a new /register without fields', ask: (national: string) => ({ path: V2.register, body: { type: 'phone', identifier: national, country_code: '+91' } }) },
    ])('are not applied when the owner later asks with $description', async ({ ask }) => {
      const victim = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, ...planted(victim.national) }), 200);
      const plantedCode = smsCode(service, victim.e164);
      service.clock.advance(OTP_TTL_MS + 1000);
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: victim.e164, otp: plantedCode }), 400, 'OTP_EXPIRED');

      const { path, body } = ask(victim.national);
      expectStatus(await service.post(path, body), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: victim.e164, otp: smsCode(service, victim.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: null, username: null, email: null });
    });
  });

  describe('a planted username that the stranger then takes', () => {
    it('does not block the owner who verifies the code it was planted with: the account is made without it, and the answer says so', async () => {
      const victim = newPhone();
      const username = `squat_${victim.national}`;
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, name: 'Mallory', username }), 200);
      const victimCode = smsCode(service, victim.e164);
      await registerPhone(service, newPhone(), { username });

      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: victim.e164, otp: victimCode });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ phone_e164: victim.e164, username: null });
      expect(verified.body.data.profile_warnings).toStrictEqual([
        { field: 'username', code: 'USERNAME_TAKEN', message: 'This username is already taken' },
      ]);
    });

    it('does not block the owner who asked again after the planting', async () => {
      const victim = newPhone();
      const username = `squat2_${victim.national}`;
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, username }), 200);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.registerRequest, { phone: victim.national, country_code: '+91' }), 200);
      await registerPhone(service, newPhone(), { username });

      const verified = await service.post(SAL27.registerVerify, { phone: victim.national, country_code: '+91', otp: smsCode(service, victim.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer.username).toBeNull();
      expect(verified.body.data).not.toHaveProperty('profile_warnings');
    });
  });

  describe('a planted email that the stranger then verifies as their own', () => {
    it('is left off the owner\'s account, and the answer says so', async () => {
      const victim = newPhone();
      const attackerEmail = newEmail('attacker');
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, email: attackerEmail }), 200);
      const victimCode = smsCode(service, victim.e164);
      await registerEmail(service, attackerEmail);

      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: victim.e164, otp: victimCode });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ phone_e164: victim.e164, email: null, email_validate: false });
      expect(verified.body.data.profile_warnings).toStrictEqual([{ field: 'email', code: 'ALREADY_REGISTERED', message: expect.any(String) }]);
    });
  });

  describe('fields sent on the verify', () => {
    it('win over the fields planted with the code (login-api-v2)', async () => {
      const victim = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: victim.e164, ...planted(victim.national) }), 200);
      const email = newEmail('victim');
      const username = `owner_${victim.national}`;
      const verified = await service.post(V2.verifyRegistration, {
        type: 'phone',
        identifier: victim.e164,
        otp: smsCode(service, victim.e164),
        name: ' Victor ',
        username,
        email: email.toUpperCase(),
      });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: 'Victor', username, email, email_validate: false });
    });

    it('win over the fields planted with the code (SAL-27)', async () => {
      const victim = newPhone();
      expectStatus(await service.post(SAL27.registerRequest, { phone: victim.e164, ...planted(victim.national) }), 200);
      const username = `sal_owner_${victim.national}`;
      const verified = await service.post(SAL27.registerVerify, { phone: victim.e164, otp: smsCode(service, victim.e164), name: 'Victor', username });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: 'Victor', username });
    });

    it('answer 409 USERNAME_TAKEN for a taken username sent on the verify itself, without using up the code', async () => {
      const taken = `taken_${newPhone().national}`;
      await registerPhone(service, newPhone(), { username: taken });
      const phone = newPhone();
      expectStatus(await service.post(SAL27.registerRequest, { phone: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: code, username: taken }), 409, 'USERNAME_TAKEN');
      expectStatus(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: code }), 201);
    });
  });
});
