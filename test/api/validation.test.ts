// Everything a client can send wrong before any code is asked for or checked: bodies that are not
// JSON objects (400), schema violations with no type coercion (422), identifiers that are not a
// phone or an email (422), oversized bodies (413), unknown routes (404). None of it may be a 5xx.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { SAL27, V2, expectError, expectStatus, newEmail, newPhone, registerPhone, smsCode, smsCount } from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const ALL_POST_PATHS = [...Object.values(V2), ...Object.values(SAL27)];

const MALFORMED_BODIES: { description: string; body: string; contentType: string }[] = [
  { description: 'text that is not JSON', body: '{"type": "phone", "identifier": ', contentType: 'application/json' },
  { description: 'a JSON array', body: '[{"type":"phone","identifier":"+919876543210"}]', contentType: 'application/json' },
  { description: 'a JSON string', body: '"+919876543210"', contentType: 'application/json' },
  { description: 'a JSON number', body: '42', contentType: 'application/json' },
  { description: 'JSON null', body: 'null', contentType: 'application/json' },
  { description: 'an empty body sent as JSON', body: '', contentType: 'application/json' },
  { description: 'a text/plain body', body: 'type=phone&identifier=+919876543210', contentType: 'text/plain' },
  { description: 'a form-encoded body', body: 'type=phone&identifier=%2B919876543210', contentType: 'application/x-www-form-urlencoded' },
  { description: 'an object with a __proto__ key', body: '{"type":"phone","identifier":"+919876543210","__proto__":{"admin":true}}', contentType: 'application/json' },
  { description: 'an object with constructor.prototype', body: '{"type":"phone","identifier":"+919876543210","constructor":{"prototype":{"admin":true}}}', contentType: 'application/json' },
  { description: 'arrays nested 5000 deep', body: `${'['.repeat(5000)}${']'.repeat(5000)}`, contentType: 'application/json' },
];

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('bodies that are not a JSON object', () => {
    for (const path of ALL_POST_PATHS) {
      it.each(MALFORMED_BODIES)(`answers 400 MALFORMED_REQUEST at ${path} for $description`, async ({ body, contentType }) => {
        const answer = await service.request('POST', path, body, { 'content-type': contentType });
        expectError(answer, 400, 'MALFORMED_REQUEST');
      });
    }

    it('answers 400 MALFORMED_REQUEST for a POST with no body and no content type', async () => {
      const answer = await service.request('POST', V2.login);
      expectError(answer, 400, 'MALFORMED_REQUEST');
    });
  });

  describe('POST /api/v1/auth/login (schema)', () => {
    const phone = newPhone();
    it.each([
      { description: 'no identifier', body: { type: 'phone' } },
      { description: 'no type', body: { identifier: phone.e164 } },
      { description: 'an unknown type', body: { type: 'sms', identifier: phone.e164 } },
      { description: 'type in capitals', body: { type: 'PHONE', identifier: phone.e164 } },
      { description: 'an empty identifier', body: { type: 'phone', identifier: '' } },
      { description: 'the identifier as a number', body: { type: 'phone', identifier: Number(phone.national), country_code: '+91' } },
      { description: 'the identifier as an array', body: { type: 'phone', identifier: [phone.e164] } },
      { description: 'the identifier as an object', body: { type: 'phone', identifier: { number: phone.e164 } } },
      { description: 'the identifier as null', body: { type: 'phone', identifier: null } },
      { description: 'the identifier as a boolean', body: { type: 'email', identifier: true } },
      { description: 'country_code as a number', body: { type: 'phone', identifier: phone.national, country_code: 91 } },
      { description: 'country_code with letters', body: { type: 'phone', identifier: phone.national, country_code: '+IN' } },
      { description: 'an identifier over 254 characters', body: { type: 'email', identifier: `${'a'.repeat(250)}@example.com` } },
    ])('answers 422 VALIDATION_ERROR for $description', async ({ body }) => {
      const answer = await service.post(V2.login, body);
      expectError(answer, 422, 'VALIDATION_ERROR');
    });
  });

  describe('POST /api/v1/auth/verify-login-otp (schema)', () => {
    const phone = newPhone();
    it.each([
      { description: 'no otp', otp: undefined },
      { description: 'an otp of 5 digits', otp: '12345' },
      { description: 'an otp of 7 digits', otp: '1234567' },
      { description: 'an otp with letters', otp: '12a456' },
      { description: 'an otp with a space', otp: '123 456' },
      { description: 'an otp with surrounding spaces', otp: ' 123456 ' },
      { description: 'an otp of Arabic-Indic digits', otp: '١٢٣٤٥٦' },
      { description: 'an otp of Devanagari digits', otp: '१२३४५६' },
      { description: 'an otp of full-width digits', otp: '１２３４５６' },
      { description: 'an otp sent as a number', otp: 123456 },
      { description: 'an otp sent as an array', otp: ['123456'] },
      { description: 'an otp sent as null', otp: null },
      { description: 'an empty otp', otp: '' },
    ])('answers 422 VALIDATION_ERROR for $description', async ({ otp }) => {
      const answer = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp });
      expectError(answer, 422, 'VALIDATION_ERROR');
    });
  });

  describe('POST /api/v1/auth/customer/login/verify-otp (schema)', () => {
    const phone = newPhone();
    it.each([
      { description: 'no phone', body: { otp: '123456' } },
      { description: 'the phone as a number', body: { phone: 919876543210, otp: '123456' } },
      { description: 'the phone as an array', body: { phone: [phone.e164], otp: '123456' } },
      { description: 'a phone shorter than 4 characters', body: { phone: '+91', otp: '123456' } },
      { description: 'no otp', body: { phone: phone.e164 } },
      { description: 'an otp of 5 digits', body: { phone: phone.e164, otp: '12345' } },
      { description: 'an otp sent as a number', body: { phone: phone.e164, otp: 123456 } },
      { description: 'country_code as a number', body: { phone: phone.national, country_code: 91, otp: '123456' } },
    ])('answers 422 VALIDATION_ERROR for $description', async ({ body }) => {
      const answer = await service.post(SAL27.loginVerify, body);
      expectError(answer, 422, 'VALIDATION_ERROR');
    });
  });

  describe('no type coercion', () => {
    it('refuses the right code sent as a JSON number instead of a string', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      // A leading zero would not survive a number: draw until the code has none, so coercion could succeed.
      let code = smsCode(service, phone.e164);
      while (code.startsWith('0')) {
        service.clock.advance(61_000);
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
        code = smsCode(service, phone.e164);
      }
      const answer = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: Number(code) });
      expectError(answer, 422, 'VALIDATION_ERROR');
      // The code is untouched: the string form still completes the registration.
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code });
      expectStatus(verified, 201);
    });

    it('refuses a registration whose identifier is a JSON number and sends nothing', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: Number(phone.national), country_code: '+91' });
      expectError(answer, 422, 'VALIDATION_ERROR');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('refuses a SAL-27 request whose phone is a JSON number and sends nothing', async () => {
      const phone = newPhone();
      const answer = await service.post(SAL27.registerRequest, { phone: Number(phone.national), country_code: '+91' });
      expectError(answer, 422, 'VALIDATION_ERROR');
      expect(smsCount(service, phone.e164)).toBe(0);
    });

    it('refuses a phone sent as an array of one valid number', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: [phone.e164] });
      expectError(answer, 422, 'VALIDATION_ERROR');
      expect(smsCount(service, phone.e164)).toBe(0);
    });
  });

  describe('POST /api/v1/auth/register (profile fields)', () => {
    it.each([
      { description: 'a username with spaces', extra: { username: 'john doe' } },
      { description: 'a username of 2 characters', extra: { username: 'jo' } },
      { description: 'a name as a number', extra: { name: 42 } },
      { description: 'an empty name', extra: { name: '' } },
      { description: 'an email as an array', extra: { email: ['a@example.com'] } },
    ])('answers 422 VALIDATION_ERROR for $description', async ({ extra }) => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164, ...extra });
      expectError(answer, 422, 'VALIDATION_ERROR');
      expect(smsCount(service, phone.e164)).toBe(0);
    });
  });

  describe('control characters', () => {
    it.each([
      { description: 'a NUL character in the name (login-api-v2)', path: V2.register, body: (phone: string) => ({ type: 'phone', identifier: phone, name: 'Asha\u0000Rao' }) },
      { description: 'a NUL character in the name (SAL-27)', path: SAL27.registerRequest, body: (phone: string) => ({ phone, name: '\u0000' }) },
    ])('answers 422 VALIDATION_ERROR, not a 5xx, for $description, and sends nothing', async ({ path, body }) => {
      const phone = newPhone();
      expectError(await service.post(path, body(phone.e164)), 422, 'VALIDATION_ERROR');
      expect(smsCount(service, phone.e164)).toBe(0);
    });
  });

  // Issue 8, finding 7: a name could reorder the text around it (U+202E made "Asha" display
  // reversed) or be nothing visible at all.
  describe('names that would mislead', () => {
    const MISLEADING_NAMES = [
      { description: 'a right-to-left override (U+202E)', name: 'Asha\u202Eoar' },
      { description: 'a left-to-right embedding (U+202A)', name: '\u202AAsha' },
      { description: 'a pop directional formatting (U+202C)', name: 'Asha\u202C' },
      { description: 'a first-strong isolate (U+2068)', name: 'As\u2068ha' },
      { description: 'a pop directional isolate (U+2069)', name: 'Asha\u2069' },
      { description: 'a right-to-left mark (U+200F)', name: 'Asha\u200F' },
      { description: 'a left-to-right mark (U+200E)', name: '\u200EAsha' },
      { description: 'an Arabic letter mark (U+061C)', name: 'Asha\u061C' },
      { description: 'only a zero-width space', name: '\u200B' },
      { description: 'only zero-width characters and spaces', name: ' \u200C\u200D \u2060\uFEFF ' },
      { description: 'only spaces', name: '   ' },
    ];
    const REQUESTS = [
      { family: 'login-api-v2 /register', path: V2.register, body: (e164: string, name: string) => ({ type: 'phone', identifier: e164, name }) },
      { family: 'SAL-27 register/request-otp', path: SAL27.registerRequest, body: (e164: string, name: string) => ({ phone: e164, name }) },
    ];

    for (const { family, path, body } of REQUESTS) {
      it.each(MISLEADING_NAMES)(`refuses a name with $description at ${family}: 422 VALIDATION_ERROR, nothing sent`, async ({ name }) => {
        const phone = newPhone();
        const answer = await service.post(path, body(phone.e164, name));
        expectError(answer, 422, 'VALIDATION_ERROR');
        expect(answer.body.message).toMatch(/name/);
        expect(smsCount(service, phone.e164)).toBe(0);
      });
    }

    it.each(MISLEADING_NAMES)('refuses a name with $description on the registration verify, and keeps the code', async ({ name }) => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = smsCode(service, phone.e164);
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code, name }), 422, 'VALIDATION_ERROR');
      expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: code, name }), 422, 'VALIDATION_ERROR');
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code }), 201);
    });

    it('accepts a name that joins its letters with a zero-width joiner, as some scripts do', async () => {
      const phone = newPhone();
      const name = 'क्\u200Dष';
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, name }), 200);
      const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(verified, 201);
      expect(verified.body.data.customer.name).toBe(name);
    });
  });

  describe('odd values in every field', () => {
    const ODD_STRINGS = ['\u0000', 'a\u0000b', '\ud800', '👍🏽', 'x'.repeat(254), "'; drop table customers; --", '<script>alert(1)</script>', '%00', '\\', '\n', ' '];
    const FIELDS = ['type', 'identifier', 'country_code', 'otp', 'name', 'username', 'email', 'phone'];
    const BASES: Record<string, (phone: string) => Record<string, unknown>> = {
      [V2.register]: (phone) => ({ type: 'phone', identifier: phone }),
      [V2.resendRegistration]: (phone) => ({ type: 'phone', identifier: phone }),
      [V2.login]: (phone) => ({ type: 'phone', identifier: phone }),
      [V2.resendLogin]: (phone) => ({ type: 'phone', identifier: phone }),
      [V2.verifyRegistration]: (phone) => ({ type: 'phone', identifier: phone, otp: '123456' }),
      [V2.verifyLogin]: (phone) => ({ type: 'phone', identifier: phone, otp: '123456' }),
      [SAL27.registerRequest]: (phone) => ({ phone }),
      [SAL27.registerVerify]: (phone) => ({ phone, otp: '123456' }),
      [SAL27.loginRequest]: (phone) => ({ phone }),
      [SAL27.loginVerify]: (phone) => ({ phone, otp: '123456' }),
    };

    it.each(ALL_POST_PATHS)('never answers a 5xx at %s, whatever string any field holds', async (path) => {
      const failures: string[] = [];
      for (const field of FIELDS) {
        for (const value of ODD_STRINGS) {
          const body = { ...BASES[path]!(newPhone().e164), [field]: value };
          const answer = await service.post(path, body);
          const envelope = answer.body as { success?: unknown; code?: unknown };
          const ok = answer.status < 500 && (answer.status < 300 ? envelope.success === true : envelope.success === false && typeof envelope.code === 'string');
          if (!ok) failures.push(`${field}=${JSON.stringify(value)} -> ${answer.status} ${JSON.stringify(answer.body)}`);
        }
      }
      expect(failures).toStrictEqual([]);
    });
  });

  describe('phone numbers that are not valid', () => {
    it.each([
      { description: 'too few digits for India', body: { type: 'phone', identifier: '12345', country_code: '+91' } },
      { description: 'too many digits for India', body: { type: 'phone', identifier: '98765432101234', country_code: '+91' } },
      { description: 'an E.164 number too short for its country', body: { type: 'phone', identifier: '+91 12345' } },
      { description: 'a calling code no country uses', body: { type: 'phone', identifier: '9876543210', country_code: '+999' } },
      { description: 'letters', body: { type: 'phone', identifier: 'call-me-maybe' } },
      { description: 'Arabic-Indic digits', body: { type: 'phone', identifier: '٩٨٧٦٥٤٣٢١٠', country_code: '+91' } },
      { description: 'country_code "+0"', body: { type: 'phone', identifier: '9876543210', country_code: '+0' } },
      { description: 'an email given as a phone', body: { type: 'phone', identifier: 'john@example.com' } },
      { description: 'a national number with no country code (no DEFAULT_COUNTRY)', body: { type: 'phone', identifier: '9876543210' } },
    ])('answers 422 INVALID_PHONE at /register for $description', async ({ body }) => {
      const answer = await service.post(V2.register, body);
      expectError(answer, 422, 'INVALID_PHONE');
    });

    it.each([
      { description: 'too few digits', body: { phone: '12345', country_code: '+91' } },
      { description: 'a national number with no country code', body: { phone: '9876543210' } },
      { description: 'letters', body: { phone: 'not-a-phone' } },
    ])('answers 422 INVALID_PHONE at the SAL-27 register request for $description', async ({ body }) => {
      const answer = await service.post(SAL27.registerRequest, body);
      expectError(answer, 422, 'INVALID_PHONE');
    });

    it('answers 422 INVALID_PHONE at /login for a number that is not valid', async () => {
      expectError(await service.post(V2.login, { type: 'phone', identifier: '12345', country_code: '+91' }), 422, 'INVALID_PHONE');
    });

    it('answers 422 INVALID_PHONE for an unverified phone on an email registration that is not valid', async () => {
      const email = newEmail();
      const answer = await service.post(V2.register, { type: 'email', identifier: email, phone: '12345', country_code: '+91' });
      expectError(answer, 422, 'INVALID_PHONE');
      expect(service.smtp.messages.filter((message) => message.to.includes(email))).toHaveLength(0);
    });
  });

  describe('email addresses that are not valid', () => {
    it.each([
      { description: 'no @', identifier: 'john.example.com' },
      { description: 'two @', identifier: 'john@@example.com' },
      { description: 'no domain dot', identifier: 'john@example' },
      { description: 'a space inside', identifier: 'john doe@example.com' },
      { description: 'nothing before the @', identifier: '@example.com' },
      { description: 'a phone number given as an email', identifier: '+919876543210' },
    ])('answers 422 INVALID_EMAIL at /register for $description', async ({ identifier }) => {
      const answer = await service.post(V2.register, { type: 'email', identifier });
      expectError(answer, 422, 'INVALID_EMAIL');
    });

    it('answers 422 INVALID_EMAIL at /login for an address that is not valid', async () => {
      expectError(await service.post(V2.login, { type: 'email', identifier: 'john@@example.com' }), 422, 'INVALID_EMAIL');
    });

    it('answers 422 INVALID_EMAIL for an unverified email on a phone registration that is not valid', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164, email: 'not an email' });
      expectError(answer, 422, 'INVALID_EMAIL');
      expect(smsCount(service, phone.e164)).toBe(0);
    });
  });

  describe('bodies over the limit', () => {
    it('answers 413 PAYLOAD_TOO_LARGE for a 100 KiB body', async () => {
      const body = JSON.stringify({ type: 'email', identifier: 'john@example.com', padding: 'x'.repeat(100 * 1024) });
      const answer = await service.request('POST', V2.login, body, { 'content-type': 'application/json' });
      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers 413 PAYLOAD_TOO_LARGE for a 100 KiB body on a verify route', async () => {
      const body = JSON.stringify({ phone: '+919876543210', otp: '123456', padding: 'x'.repeat(100 * 1024) });
      const answer = await service.request('POST', SAL27.loginVerify, body, { 'content-type': 'application/json' });
      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('routes that do not exist', () => {
    it.each([
      { description: 'an unknown path under the API', method: 'POST', path: '/api/v1/auth/send-otp' },
      { description: 'the removed generic verify endpoint', method: 'POST', path: '/api/v1/auth/verify-otp' },
      { description: 'a GET on a POST-only route', method: 'GET', path: '/api/v1/auth/login' },
      { description: 'the root', method: 'GET', path: '/' },
      { description: 'a path without the /api/v1 prefix', method: 'POST', path: '/auth/login' },
    ])('answers 404 NOT_FOUND in the envelope for $description', async ({ method, path }) => {
      const answer = await service.request(method, path, method === 'POST' ? { type: 'phone', identifier: '+919876543210' } : undefined);
      expectError(answer, 404, 'NOT_FOUND');
    });
  });

  describe('GET /health', () => {
    it('answers 200 {status:"ok"}: liveness asks no dependency', async () => {
      const answer = await service.get('/health');
      expectStatus(answer, 200);
      expect(answer.body).toEqual({ status: 'ok' });
    });
  });

  describe('extra body fields', () => {
    it('ignores fields the schema does not know instead of failing', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(61_000);
      const answer = await service.post(V2.login, { type: 'phone', identifier: phone.e164, password: 'hunter2', remember: true });
      expectStatus(answer, 200);
    });
  });
});
