// login-api-v2 registration: /register, /verify-registration-otp, /resend-registration-otp,
// by phone (SMS through the fake Twilio) and by email (through the fake SMTP server).
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  V2,
  countRows,
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
  REFRESH_FIELDS,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('POST /api/v1/auth/register', () => {
    it('sends a code by SMS and answers in the spec shape (national number with country_code)', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to complete registration' },
      });
      const messages = service.twilio.messages.filter((message) => message.to === phone.e164);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.body).toMatch(/(?<!\d)\d{6}(?!\d)/);
    });

    it('sends a code by email and answers in the spec shape', async () => {
      const email = newEmail();
      const answer = await service.post(V2.register, { type: 'email', identifier: email });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP sent successfully to your email',
        data: { email, expires_in_minutes: 10, message: 'Please verify OTP to complete registration' },
      });
      const messages = service.smtp.messages.filter((message) => message.to.includes(email));
      expect(messages).toHaveLength(1);
      expect(messages[0]!.from).toContain('no-reply@shop.test');
      expect(messages[0]!.subject).toMatch(/\S/);
      expect(messages[0]!.text).toContain(emailCode(service, email));
    });

    it('answers 409 ALREADY_REGISTERED for a registered phone and sends nothing', async () => {
      const { phone } = await registerPhone(service);
      const before = smsCount(service, phone.e164);
      service.clock.advance(COOLDOWN_MS + 1000);
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164 });
      expectError(answer, 409, 'ALREADY_REGISTERED');
      expect(smsCount(service, phone.e164)).toBe(before);
    });

    it('answers 409 ALREADY_REGISTERED for a registered email and sends nothing', async () => {
      const { email } = await registerEmail(service);
      const before = emailCount(service, email);
      service.clock.advance(COOLDOWN_MS + 1000);
      const answer = await service.post(V2.register, { type: 'email', identifier: email });
      expectError(answer, 409, 'ALREADY_REGISTERED');
      expect(emailCount(service, email)).toBe(before);
    });

    it('answers 409 USERNAME_TAKEN for a username another account has and sends nothing', async () => {
      const username = `taken_${newPhone().national}`;
      await registerPhone(service, newPhone(), { username });
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164, username });
      expectError(answer, 409, 'USERNAME_TAKEN');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('treats usernames that differ only in case as the same one, and keeps the spelling given', async () => {
      const username = `Asha_${newPhone().national}`;
      const { customer } = await registerPhone(service, newPhone(), { username });
      expect(customer.username).toBe(username);
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164, username: username.toLowerCase() });
      expectError(answer, 409, 'USERNAME_TAKEN');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('ignores status, id and validation flags sent in the body', async () => {
      const phone = newPhone();
      const email = newEmail();
      const asked = await service.post(V2.register, {
        type: 'phone',
        identifier: phone.e164,
        email,
        status: 'blocked',
        id: 999,
        phone_validate: false,
        email_validate: true,
        created_at: '2000-01-01T00:00:00.000Z',
      });
      expectStatus(asked, 200);
      const verified = await service.post(V2.verifyRegistration, {
        type: 'phone',
        identifier: phone.e164,
        otp: smsCode(service, phone.e164),
        status: 'blocked',
        id: 999,
      });
      expectStatus(verified, 201);
      const customer = verified.body.data.customer;
      expect(customer.status).toBe('active');
      expect(customer.id).not.toBe(999);
      expect(customer.phone_validate).toBe(true);
      expect(customer.email).toBe(email);
      expect(customer.email_validate).toBe(false);
      expect(customer.created_at).toBe(new Date(service.clock.now()).toISOString());
      const rows = await countRows(service, 'customers', 'id = ? and status = ?', [customer.id, 'active']);
      expect(rows).toBe(1);
    });
  });

  describe('POST /api/v1/auth/verify-registration-otp', () => {
    it('creates the phone account and answers 201 with the customer and a bearer token', async () => {
      const phone = newPhone();
      const username = `asha_${phone.national}`;
      expectStatus(
        await service.post(V2.register, { type: 'phone', identifier: phone.national, country_code: '91', name: '  Asha Rao  ', username }),
        200,
      );
      const answer = await service.post(V2.verifyRegistration, {
        type: 'phone',
        identifier: phone.national,
        country_code: '+91',
        otp: smsCode(service, phone.e164),
      });
      expectStatus(answer, 201);
      expect(answer.body).toStrictEqual({
        success: true,
        message: expect.any(String),
        data: {
          customer: {
            id: expect.any(Number),
            username,
            name: 'Asha Rao',
            email: null,
            phone: phone.national,
            country_code: '+91',
            phone_e164: phone.e164,
            phone_validate: true,
            email_validate: false,
            status: 'active',
            created_at: new Date(service.clock.now()).toISOString(),
          },
          access_token: expect.stringMatching(JWT),
          token_type: 'bearer',
          expires_in: 3600,
          ...REFRESH_FIELDS,
        },
      });
      expect(Number.isInteger(answer.body.data.customer.id)).toBe(true);
      expect(await countRows(service, 'customers', 'phone_e164 = ?', [phone.e164])).toBe(1);
    });

    it('creates the email account with the address verified and no phone', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email, name: 'John Doe' }), 200);
      const answer = await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: emailCode(service, email) });
      expectStatus(answer, 201);
      expect(answer.body.data.customer).toStrictEqual({
        id: expect.any(Number),
        username: null,
        name: 'John Doe',
        email,
        phone: null,
        country_code: null,
        phone_e164: null,
        phone_validate: false,
        email_validate: true,
        status: 'active',
        created_at: new Date(service.clock.now()).toISOString(),
      });
      expect(answer.body.data).toMatchObject({ token_type: 'bearer', expires_in: 3600, access_token: expect.stringMatching(JWT) });
    });

    it('gives each new account its own integer id', async () => {
      const first = await registerPhone(service);
      const second = await registerEmail(service);
      expect(Number.isInteger(first.customer.id)).toBe(true);
      expect(Number.isInteger(second.customer.id)).toBe(true);
      expect(second.customer.id).not.toBe(first.customer.id);
    });

    // Was 409 USERNAME_TAKEN for the late verify: a field stored with the code (which a stranger
    // may have sent) no longer refuses a correct code; it is dropped and the answer says so.
    it('creates the account without a username stored with the code that another registration took first, and says so', async () => {
      const username = `race_${newPhone().national}`;
      const first = newPhone();
      const second = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: first.e164, username }), 200);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: second.e164, name: 'Late', username }), 200);
      const early = await service.post(V2.verifyRegistration, { type: 'phone', identifier: first.e164, otp: smsCode(service, first.e164) });
      expectStatus(early, 201);
      expect(early.body.data).not.toHaveProperty('profile_warnings');
      const late = await service.post(V2.verifyRegistration, { type: 'phone', identifier: second.e164, otp: smsCode(service, second.e164) });
      expectStatus(late, 201);
      expect(late.body.data.customer).toMatchObject({ phone_e164: second.e164, name: 'Late', username: null });
      expect(late.body.data.profile_warnings).toStrictEqual([{ field: 'username', code: 'USERNAME_TAKEN', message: expect.any(String) }]);
      expect(await countRows(service, 'customers', 'lower(username) = lower(?)', [username])).toBe(1);
    });

    it('answers 409 USERNAME_TAKEN for a taken username sent on the verify, and leaves the code usable for another', async () => {
      const taken = `verify_taken_${newPhone().national}`;
      await registerPhone(service, newPhone(), { username: taken });
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      const refused = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code, username: taken.toUpperCase() });
      expectError(refused, 409, 'USERNAME_TAKEN');
      expect(await countRows(service, 'customers', 'phone_e164 = ?', [phone.e164])).toBe(0);
      const free = `verify_free_${phone.national}`;
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code, username: free });
      expectStatus(verified, 201);
      expect(verified.body.data.customer.username).toBe(free);
      expect(verified.body.data).not.toHaveProperty('profile_warnings');
    });

    it('keeps the fields sent with the code that the verify does not send', async () => {
      const phone = newPhone();
      const username = `kept_${phone.national}`;
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, name: 'Kept', username }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164), name: 'Changed' });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: 'Changed', username });
    });

    it('applies a phone sent on the verify of an email registration as an unverified number', async () => {
      const email = newEmail('verify-phone');
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      const verified = await service.post(V2.verifyRegistration, {
        type: 'email',
        identifier: email,
        otp: emailCode(service, email),
        phone: phone.national,
        country_code: '+91',
      });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ email, email_validate: true, phone_e164: phone.e164, phone_validate: false });
    });

    it('answers 400 OTP_NOT_FOUND for a number that never asked for a code', async () => {
      const answer = await service.post(V2.verifyRegistration, { type: 'phone', identifier: newPhone().e164, otp: '123456' });
      expectError(answer, 400, 'OTP_NOT_FOUND');
    });

    it('answers 400 OTP_NOT_FOUND for an email that never asked for a code', async () => {
      const answer = await service.post(V2.verifyRegistration, { type: 'email', identifier: newEmail(), otp: '123456' });
      expectError(answer, 400, 'OTP_NOT_FOUND');
    });

    it('answers 400 OTP_INVALID for a wrong code and creates no account', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      const wrong = code === '000000' ? '000001' : '000000';
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: wrong }), 400, 'OTP_INVALID');
      expect(await countRows(service, 'customers', 'phone_e164 = ?', [phone.e164])).toBe(0);
    });
  });

  describe('POST /api/v1/auth/resend-registration-otp', () => {
    it('sends a new code by SMS once the cooldown is over and says it was resent', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.national, country_code: '+91' });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP resent successfully to your phone',
        data: { phone: phone.national, expires_in_minutes: 10, message: 'Please verify OTP to complete registration' },
      });
      expect(smsCount(service, phone.e164)).toBe(2);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(verified, 201);
    });

    // Was: the resend kept what /register said (merged). Profile fields are bound to the code sent
    // with them, so a resend, like any new request, replaces them with what it carries.
    it('binds the profile to the new code: a resend without the fields leaves them off the account', async () => {
      const phone = newPhone();
      const username = `dropped_${phone.national}`;
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, name: 'Asha Rao', username, email: newEmail() }), 200);
      service.clock.advance(COOLDOWN_MS);
      // The spec's resend body: type, identifier, country_code only.
      expectStatus(await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.national, country_code: '+91' }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: null, username: null, email: null });
    });

    it('keeps the name, username and email when the resend carries them again', async () => {
      const phone = newPhone();
      const email = newEmail();
      const username = `keep_${phone.national}`;
      const profile = { name: 'Asha Rao', username, email };
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, ...profile }), 200);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.national, country_code: '+91', ...profile }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ name: 'Asha Rao', username, email, email_validate: false });
    });

    it('sends a new code by email and says it was resent to the email', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email }), 200);
      service.clock.advance(COOLDOWN_MS);
      const answer = await service.post(V2.resendRegistration, { type: 'email', identifier: email });
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'OTP resent successfully to your email',
        data: { email, expires_in_minutes: 10, message: 'Please verify OTP to complete registration' },
      });
      expect(emailCount(service, email)).toBe(2);
    });

    it('answers 429 OTP_COOLDOWN inside the cooldown of the first request', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const answer = await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.e164 });
      expectError(answer, 429, 'OTP_COOLDOWN');
      expect(answer.headers.get('retry-after')).toBe('60');
      expect(smsCount(service, phone.e164)).toBe(1);
    });

    it('answers 409 ALREADY_REGISTERED once the number is registered', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectError(await service.post(V2.resendRegistration, { type: 'phone', identifier: phone.e164 }), 409, 'ALREADY_REGISTERED');
    });
  });
});
