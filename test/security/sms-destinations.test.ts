// SMS pumping defence, the destination half: SMS_ALLOWED_COUNTRIES and SMS_REFUSED_NUMBER_TYPES.
// Every number below was checked against libphonenumber-js's full metadata (npm run
// bench:number-types loads the same module). A refused destination gets its 422 and nothing is
// sent: the fake Twilio must hold no message for it.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { SAL27, V2, expectError, expectStatus, newEmail, newPhone, smsCount, sql } from '../support/flows.js';
import { serviceForBlock, type Service } from '../support/service.js';

/** A phone account created behind the service's back (as if it signed up before a policy change). */
async function seedPhoneAccount(service: Service, e164: string, national: string, countryCode: string): Promise<void> {
  const now = service.clock.now();
  await sql(
    service,
    `insert into customers (name, email_validate, phone_e164, phone_national, country_code, phone_validate, status, created_at, updated_at)
     values ('Seeded', 0, ?, ?, ?, 1, 'active', ?, ?)`,
    [e164, national, countryCode, now, now],
  );
}

/** Every route that sends a code, with the body it needs for this phone. */
function sendingRoutes(e164: string): { description: string; path: string; body: Record<string, string> }[] {
  return [
    { description: 'register', path: V2.register, body: { type: 'phone', identifier: e164 } },
    { description: 'resend-registration-otp', path: V2.resendRegistration, body: { type: 'phone', identifier: e164 } },
    { description: 'login', path: V2.login, body: { type: 'phone', identifier: e164 } },
    { description: 'resend-login-otp', path: V2.resendLogin, body: { type: 'phone', identifier: e164 } },
    { description: 'SAL-27 register/request-otp', path: SAL27.registerRequest, body: { phone: e164 } },
    { description: 'SAL-27 login/request-otp', path: SAL27.loginRequest, body: { phone: e164 } },
  ];
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('SMS_ALLOWED_COUNTRIES=IN,GB', () => {
    const service = serviceForBlock({ backend, env: { SMS_ALLOWED_COUNTRIES: 'IN, gb' } });
    const us = { e164: '+14155552671', national: '4155552671' };

    it.each(sendingRoutes(us.e164))('refuses a US number on $description with 422 COUNTRY_NOT_ALLOWED and sends nothing', async ({ path, body }) => {
      expectError(await service.post(path, body), 422, 'COUNTRY_NOT_ALLOWED');
      expect(smsCount(service, us.e164)).toBe(0);
    });

    it('refuses a login for an existing account whose country is no longer allowed (nothing may be sent there)', async () => {
      const canada = { e164: '+14165551234', national: '4165551234' };
      await seedPhoneAccount(service, canada.e164, canada.national, '+1');
      expectError(await service.post(V2.login, { type: 'phone', identifier: canada.e164 }), 422, 'COUNTRY_NOT_ALLOWED');
      expectError(await service.post(SAL27.loginRequest, { phone: canada.national, country_code: '+1' }), 422, 'COUNTRY_NOT_ALLOWED');
      expect(smsCount(service, canada.e164)).toBe(0);
    });

    it('refuses a satellite number, which belongs to no country', async () => {
      expectError(await service.post(V2.register, { type: 'phone', identifier: '+881612345678' }), 422, 'COUNTRY_NOT_ALLOWED');
      expect(smsCount(service, '+881612345678')).toBe(0);
    });

    it('sends to India and to Great Britain, and email is not affected', async () => {
      const india = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: india.e164 }), 200);
      expectStatus(await service.post(SAL27.registerRequest, { phone: '07400 123456', country_code: '+44' }), 200);
      expect(smsCount(service, india.e164)).toBe(1);
      expect(smsCount(service, '+447400123456')).toBe(1);
      expectStatus(await service.post(V2.register, { type: 'email', identifier: newEmail('allowlist') }), 200);
    });

    it('does not check verify: it sends nothing, and a refused number never got a code', async () => {
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: us.e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');
    });

    it('logs the refusal with the calling code, never the number', async () => {
      const before = service.logs().length;
      expectError(await service.post(V2.register, { type: 'phone', identifier: '+12125551234' }), 422, 'COUNTRY_NOT_ALLOWED');
      const logged = service.logs().slice(before);
      expect(logged).toContain('SMS destination refused');
      expect(logged).not.toContain('2125551234');
    });
  });

  describe('SMS_REFUSED_NUMBER_TYPES (default)', () => {
    const service = serviceForBlock({ backend });

    it.each([
      { description: 'a US +1 900 premium-rate number', e164: '+19002345678', says: 'premium-rate' },
      { description: 'a UK +44 909 premium-rate number', e164: '+449091234567', says: 'premium-rate' },
      { description: 'a UK +44 871 number (sold as shared cost; premium rate to libphonenumber)', e164: '+448712345678', says: 'premium-rate' },
      { description: 'a French +33 810 shared-cost number', e164: '+33810123456', says: 'shared-cost' },
      { description: 'a UK +44 70 personal number', e164: '+447012345678', says: 'personal numbering' },
      { description: 'a +881 satellite phone', e164: '+881612345678', says: 'satellite' },
      { description: 'a +882 international network number', e164: '+882161234567', says: 'satellite' },
      { description: 'a US +1 800 toll-free number', e164: '+18002345678', says: 'toll-free' },
      { description: 'a UK +44 30 universal access number', e164: '+443001234567', says: 'universal access' },
      { description: 'a UK +44 76 pager', e164: '+447640123456', says: 'pagers' },
      { description: 'a UK +44 20 landline', e164: '+442079460000', says: 'landlines' },
      { description: 'an Indian +91 11 landline', e164: '+911123456789', says: 'landlines' },
    ])('refuses $description with 422 INVALID_PHONE saying that kind cannot receive codes, and sends nothing', async ({ e164, says }) => {
      const answer = await service.post(V2.register, { type: 'phone', identifier: e164 });
      expectError(answer, 422, 'INVALID_PHONE');
      expect(answer.body.message).toContain(says);
      expect(answer.body.message).toContain('cannot');
      expectError(await service.post(SAL27.registerRequest, { phone: e164 }), 422, 'INVALID_PHONE');
      expect(smsCount(service, e164)).toBe(0);
    });

    it.each([
      { description: 'an Indian mobile (the spec\'s example)', e164: '+919876543210' },
      { description: 'a UK mobile', e164: '+447400123456' },
      { description: 'a German mobile', e164: '+4915112345678' },
      { description: 'a US number libphonenumber can only call FIXED_LINE_OR_MOBILE', e164: '+14155552671' },
      { description: 'an Indian number libphonenumber can only call FIXED_LINE_OR_MOBILE', e164: '+918765432109' },
    ])('sends to $description', async ({ e164 }) => {
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: e164 }), 200);
      expect(smsCount(service, e164)).toBe(1);
    });
  });

  describe('SMS_REFUSED_NUMBER_TYPES=VOIP', () => {
    const service = serviceForBlock({ backend, env: { SMS_REFUSED_NUMBER_TYPES: 'voip' } });

    it('refuses only the listed kind: a UK +44 56 VoIP number is refused, a landline is sent to', async () => {
      const voip = await service.post(V2.register, { type: 'phone', identifier: '+445601234567' });
      expectError(voip, 422, 'INVALID_PHONE');
      expect(voip.body.message).toContain('VoIP');
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: '+442079460000' }), 200);
      expect(smsCount(service, '+442079460000')).toBe(1);
    });
  });

  describe('SMS_REFUSED_NUMBER_TYPES=off', () => {
    const service = serviceForBlock({ backend, env: { SMS_REFUSED_NUMBER_TYPES: 'off' } });

    it('sends to a premium-rate number: the check is off', async () => {
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: '+19002345678' }), 200);
      expect(smsCount(service, '+19002345678')).toBe(1);
    });
  });
});
