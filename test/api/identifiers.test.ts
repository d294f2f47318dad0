// All spellings of one number or address are one identifier: for accounts, codes and cooldowns.
// An email given with a phone registration (or a phone with an email one) is only a claim until
// verified: it signs nobody in and never stops the real owner from registering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  ME,
  SAL27,
  V2,
  emailCode,
  emailCount,
  expectError,
  expectStatus,
  loginEmail,
  loginPhone,
  newEmail,
  newPhone,
  registerEmail,
  registerPhone,
  smsCode,
  smsCount,
  sql,
  type Phone,
} from '../support/flows.js';
import { startService, type Service, serviceForBlock } from '../support/service.js';

interface Spelling {
  description: string;
  spell(phone: Phone): { identifier: string; country_code?: string };
}

const head = (phone: Phone) => phone.national.slice(0, 5);
const tail = (phone: Phone) => phone.national.slice(5);

const SPELLINGS: Spelling[] = [
  { description: 'E.164 (+919876512345)', spell: (p) => ({ identifier: p.e164 }) },
  { description: 'national with country_code "+91"', spell: (p) => ({ identifier: p.national, country_code: '+91' }) },
  { description: 'national with country_code "91" (no plus)', spell: (p) => ({ identifier: p.national, country_code: '91' }) },
  { description: 'trunk 0 and a space with country_code ("09876 512345")', spell: (p) => ({ identifier: `0${head(p)} ${tail(p)}`, country_code: '+91' }) },
  { description: 'dashes with country_code', spell: (p) => ({ identifier: `${head(p)}-${tail(p)}`, country_code: '+91' }) },
  { description: 'brackets and a space with country_code', spell: (p) => ({ identifier: `(${head(p)}) ${tail(p)}`, country_code: '+91' }) },
  { description: 'international with spaces ("+91 98765 12345")', spell: (p) => ({ identifier: `+91 ${head(p)} ${tail(p)}` }) },
  { description: 'international with dashes ("+91-98765-12345")', spell: (p) => ({ identifier: `+91-${head(p)}-${tail(p)}` }) },
  { description: 'international with surrounding whitespace', spell: (p) => ({ identifier: `  ${p.e164} ` }) },
];

/** The SAL-27 body for a spelling: {phone, country_code?}. */
function sal27Body(spelled: { identifier: string; country_code?: string }): Record<string, string> {
  return { phone: spelled.identifier, ...(spelled.country_code === undefined ? {} : { country_code: spelled.country_code }) };
}

describe.each(backendsUnderTest())('%s', (backend) => {
  // One service at a time: the DEFAULT_COUNTRY suite below starts its own after this one closed.
  describe('without DEFAULT_COUNTRY', () => {
    const service = serviceForBlock({ backend });

    describe('phone spellings: accounts', () => {
      let registered: Phone;

      beforeAll(async () => {
        ({ phone: registered } = await registerPhone(service));
        service.clock.advance(COOLDOWN_MS);
      });

      it.each(SPELLINGS)('answers 409 ALREADY_REGISTERED at /register for the same number as $description', async ({ spell }) => {
        expectError(await service.post(V2.register, { type: 'phone', ...spell(registered) }), 409, 'ALREADY_REGISTERED');
      });

      it.each(SPELLINGS)('answers 409 ALREADY_REGISTERED at the SAL-27 register for the same number as $description', async ({ spell }) => {
        expectError(await service.post(SAL27.registerRequest, sal27Body(spell(registered))), 409, 'ALREADY_REGISTERED');
      });

      it.each(SPELLINGS)('logs the same account in with the number written as $description', async ({ spell }) => {
        service.clock.advance(COOLDOWN_MS);
        const asked = await service.post(V2.login, { type: 'phone', ...spell(registered) });
        expectStatus(asked, 200);
        expect(asked.body.data.phone).toBe(registered.national);
        expect(service.twilio.messages.at(-1)?.to).toBe(registered.e164);
        const verified = await service.post(V2.verifyLogin, { type: 'phone', ...spell(registered), otp: smsCode(service, registered.e164) });
        expectStatus(verified, 200);
        expect(verified.body.data.customer.phone_e164).toBe(registered.e164);
      });

      it('keeps exactly one account row for the number', async () => {
        const rows = await sql(service, 'select id from customers where phone_e164 = ?', [registered.e164]);
        expect(rows).toHaveLength(1);
      });
    });

    describe('phone spellings: codes', () => {
      it.each(SPELLINGS)('sends to E.164 a code asked for as $description, which verifies given as E.164', async ({ spell }) => {
        const phone = newPhone();
        const asked = await service.post(V2.register, { type: 'phone', ...spell(phone) });
        expectStatus(asked, 200);
        expect(asked.body.data.phone).toBe(phone.national);
        expect(smsCount(service, phone.e164)).toBe(1);
        const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
        expectStatus(verified, 201);
        expect(verified.body.data.customer).toMatchObject({ phone: phone.national, country_code: '+91', phone_e164: phone.e164 });
      });

      it.each(SPELLINGS)('verifies a code asked for as E.164 with the number written as $description', async ({ spell }) => {
        const phone = newPhone();
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
        const verified = await service.post(V2.verifyRegistration, { type: 'phone', ...spell(phone), otp: smsCode(service, phone.e164) });
        expectStatus(verified, 201);
        expect(verified.body.data.customer.phone_e164).toBe(phone.e164);
      });

      it.each([
        { description: 'the bare national number', spell: (p: Phone) => p.national },
        { description: 'the national number with trunk 0', spell: (p: Phone) => `0${p.national}` },
        { description: 'the national number with spaces', spell: (p: Phone) => `${head(p)} ${tail(p)}` },
      ])('finds a code asked for with country_code when the verify sends $description and no country_code', async ({ spell }) => {
        const phone = newPhone();
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.national, country_code: '+91' }), 200);
        const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: spell(phone), otp: smsCode(service, phone.e164) });
        expectStatus(verified, 201);
        expect(verified.body.data.customer.phone_e164).toBe(phone.e164);
      });

      it('finds a SAL-27 login code when the verify sends the national number without country_code', async () => {
        const { phone } = await registerPhone(service);
        service.clock.advance(COOLDOWN_MS);
        expectStatus(await service.post(SAL27.loginRequest, { phone: phone.national, country_code: '91' }), 200);
        expectStatus(await service.post(SAL27.loginVerify, { phone: phone.national, otp: smsCode(service, phone.e164) }), 200);
      });

      // Was OTP_NOT_FOUND (no guessing): now the code itself tells the two apart, so a stranger's
      // request for the same digits in another country cannot stop the owner's verify.
      it('verifies the country whose code matches when two countries have a pending code for the same national number', async () => {
        // 912 555 0123 is a valid number in both the US (+1, Georgia) and India (+91, a mobile). Not
        // 202 555 0123: in India that is a landline, which SMS_REFUSED_NUMBER_TYPES refuses by default.
        const india = { e164: '+919125550123', national: '9125550123' };
        const us = { e164: '+19125550123', national: '9125550123' };
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: india.national, country_code: '+91' }), 200);
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: us.national, country_code: '+1' }), 200);
        const indiaCode = smsCode(service, india.e164);
        const usCode = smsCode(service, us.e164);
        const indian = await service.post(V2.verifyRegistration, { type: 'phone', identifier: '9125550123', otp: indiaCode });
        expectStatus(indian, 201);
        expect(indian.body.data.customer).toMatchObject({ phone_e164: india.e164, country_code: '+91' });
        const american = await service.post(V2.verifyRegistration, { type: 'phone', identifier: '9125550123', otp: usCode });
        expectStatus(american, 201);
        expect(american.body.data.customer).toMatchObject({ phone_e164: us.e164, country_code: '+1' });
      });

      it('answers 400 OTP_NOT_FOUND for a national number without country_code that has no pending code', async () => {
        expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: newPhone().national, otp: '123456' }), 400, 'OTP_NOT_FOUND');
      });
    });

    describe('phone spellings: cooldowns', () => {
      it.each(SPELLINGS)('answers 429 OTP_COOLDOWN when the same number is asked for again as $description', async ({ spell }) => {
        const phone = newPhone();
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
        const again = await service.post(V2.resendRegistration, { type: 'phone', ...spell(phone) });
        expectError(again, 429, 'OTP_COOLDOWN');
        const sal27 = await service.post(SAL27.registerRequest, sal27Body(spell(phone)));
        expectError(sal27, 429, 'OTP_COOLDOWN');
        expect(smsCount(service, phone.e164)).toBe(1);
      });
    });

    describe('email spellings', () => {
      it('trims and lower-cases the address everywhere: answer, message, account, codes, cooldown', async () => {
        const email = newEmail('mixed.case');
        const shouting = `  ${email.replace('mixed.case', 'Mixed.Case').replace('example.com', 'Example.COM')} `;
        const asked = await service.post(V2.register, { type: 'email', identifier: shouting });
        expectStatus(asked, 200);
        expect(asked.body.data.email).toBe(email);
        expect(service.smtp.messages.at(-1)?.to).toStrictEqual([email]);
        expectError(await service.post(V2.resendRegistration, { type: 'email', identifier: email.toUpperCase() }), 429, 'OTP_COOLDOWN');

        const verified = await service.post(V2.verifyRegistration, { type: 'email', identifier: email.toUpperCase(), otp: emailCode(service, email) });
        expectStatus(verified, 201);
        expect(verified.body.data.customer.email).toBe(email);

        service.clock.advance(COOLDOWN_MS);
        expectError(await service.post(V2.register, { type: 'email', identifier: ` ${email.toUpperCase()}` }), 409, 'ALREADY_REGISTERED');
        const login = await service.post(V2.login, { type: 'email', identifier: shouting });
        expectStatus(login, 200);
        expect(login.body.data.email).toBe(email);
        const signedIn = await service.post(V2.verifyLogin, { type: 'email', identifier: shouting, otp: emailCode(service, email) });
        expectStatus(signedIn, 200);
        expect(signedIn.body.data.customer.id).toBe(verified.body.data.customer.id);
        expect(await sql(service, 'select id from customers where email = ?', [email])).toHaveLength(1);
      });
    });

    describe('an unverified email on a phone registration', () => {
      it('is shown unverified, signs nobody in, and gives way to the address owner who registers it', async () => {
        const email = newEmail('claimed');
        const phoneAccount = await registerPhone(service, newPhone(), { email: `  ${email.toUpperCase()} ` });
        expect(phoneAccount.customer).toMatchObject({ email, email_validate: false, phone_validate: true });

        // The claim signs nobody in: no account, no message.
        expectError(await service.post(V2.login, { type: 'email', identifier: email }), 404, 'ACCOUNT_NOT_FOUND');
        expect(emailCount(service, email)).toBe(0);

        // The owner of the address registers it: not ALREADY_REGISTERED.
        const owner = await registerEmail(service, email);
        expect(owner.customer).toMatchObject({ email, email_validate: true });
        expect(owner.customer.id).not.toBe(phoneAccount.customer.id);

        // The claim is dropped from the phone account.
        const me = await service.get(ME, { authorization: `Bearer ${phoneAccount.token}` });
        expectStatus(me, 200);
        expect(me.body.data.customer).toMatchObject({ id: phoneAccount.customer.id, email: null, email_validate: false });
        service.clock.advance(COOLDOWN_MS);
        const phoneLogin = await loginPhone(service, phoneAccount.phone);
        expect(phoneLogin.customer.email).toBeNull();

        // The address now signs its owner in, not the phone account.
        const emailLogin = await loginEmail(service, email);
        expect(emailLogin.customer.id).toBe(owner.customer.id);
        expect(await sql(service, 'select id from customers where email = ?', [email])).toStrictEqual([{ id: owner.customer.id }]);
      });

      it('does not stop a second phone registration from claiming the same unverified email', async () => {
        const email = newEmail('twice-claimed');
        const first = await registerPhone(service, newPhone(), { email });
        const second = await registerPhone(service, newPhone(), { email });
        expect(first.customer).toMatchObject({ email, email_validate: false });
        expect(second.customer).toMatchObject({ email, email_validate: false });
        expectError(await service.post(V2.login, { type: 'email', identifier: email }), 404, 'ACCOUNT_NOT_FOUND');
      });
    });

    describe('an unverified phone on an email registration', () => {
      it('is shown unverified, signs nobody in, and gives way to the number owner who registers it', async () => {
        const phone = newPhone();
        const emailAccount = await registerEmail(service, newEmail('with-phone'), { phone: phone.national, country_code: '+91' });
        expect(emailAccount.customer).toMatchObject({
          phone: phone.national,
          country_code: '+91',
          phone_e164: phone.e164,
          phone_validate: false,
          email_validate: true,
        });

        expectError(await service.post(V2.login, { type: 'phone', identifier: phone.e164 }), 404, 'ACCOUNT_NOT_FOUND');
        expectError(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 404, 'ACCOUNT_NOT_FOUND');
        expect(smsCount(service, phone.e164)).toBe(0);

        const owner = await registerPhone(service, phone);
        expect(owner.customer).toMatchObject({ phone_e164: phone.e164, phone_validate: true });
        expect(owner.customer.id).not.toBe(emailAccount.customer.id);

        const me = await service.get(ME, { authorization: `Bearer ${emailAccount.token}` });
        expectStatus(me, 200);
        expect(me.body.data.customer).toMatchObject({ phone: null, phone_e164: null, phone_validate: false });
        service.clock.advance(COOLDOWN_MS);
        expect((await loginPhone(service, phone)).customer.id).toBe(owner.customer.id);
      });
    });
  });

  describe('with DEFAULT_COUNTRY=IN', () => {
    let local: Service;

    beforeAll(async () => {
      local = await startService({ backend, env: { DEFAULT_COUNTRY: 'IN' } });
    });

    afterAll(async () => {
      await local?.close();
    });

    it('reads a national number without country_code as an Indian number', async () => {
      const phone = newPhone();
      const asked = await local.post(V2.register, { type: 'phone', identifier: `0${phone.national}` });
      expectStatus(asked, 200);
      expect(asked.body.data.phone).toBe(phone.national);
      const verified = await local.post(V2.verifyRegistration, { type: 'phone', identifier: phone.national, otp: smsCode(local, phone.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer).toMatchObject({ phone_e164: phone.e164, country_code: '+91' });
    });

    it('still honours an explicit country_code over the default', async () => {
      const asked = await local.post(V2.register, { type: 'phone', identifier: '202 555 0199', country_code: '+1' });
      expectStatus(asked, 200);
      expect(local.twilio.messages.at(-1)?.to).toBe('+12025550199');
    });
  });
});
