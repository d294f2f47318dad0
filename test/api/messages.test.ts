// The messages customers receive, over HTTP: the locale each request gets (its `locale` field, its
// Accept-Language, the default), the autofill lines in the SMS, and the email as text plus HTML.
import { describe, expect, it } from 'vitest';
import { measureSms } from '../../src/domain/messages/segments.js';
import { backendsUnderTest } from '../support/backends.js';
import { SAL27, V2, expectError, expectStatus, newEmail, newPhone, registerEmail, registerPhone, smsCode, COOLDOWN_MS } from '../support/flows.js';
import { serviceForBlock, type Service } from '../support/service.js';

const HINDI = /आपका (लॉगिन|सत्यापन) कोड है/;
const SPANISH_SMS = /^Tu clave para (entrar|crear la cuenta) es \d{6}\./;
const ENGLISH_SMS = /^Your (login|verification) code is \d{6}\./;

function lastSms(service: Service, e164: string): string {
  const message = service.twilio.messages.filter((sent) => sent.to === e164).at(-1);
  if (message === undefined) throw new Error(`no SMS reached ${e164}`);
  return message.body;
}

function lastMail(service: Service, email: string) {
  const message = service.smtp.messages.filter((sent) => sent.to.includes(email)).at(-1);
  if (message === undefined) throw new Error(`no email reached ${email}`);
  return message;
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('POST /api/v1/auth/register and friends: the message locale', () => {
    const service = serviceForBlock({ backend });

    it('writes the SMS in the language of the locale field', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, locale: 'hi' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(HINDI);
      expect(lastSms(service, phone.e164)).toContain(smsCode(service, phone.e164));
    });

    it('writes the email subject, text and HTML in the language of the locale field', async () => {
      const email = newEmail();
      expectStatus(await service.post(V2.register, { type: 'email', identifier: email, locale: 'es-MX' }), 200);
      const mail = lastMail(service, email);
      expect(mail.subject).toBe('Tu código de registro');
      expect(mail.text).toMatch(/^Tu código de registro es: \d{6}/);
      expect(mail.html).toContain('<html lang="es">');
    });

    it('follows Accept-Language when the body names no locale', async () => {
      const phone = newPhone();
      const answer = await service.post(V2.register, { type: 'phone', identifier: phone.e164 }, { 'accept-language': 'fr-FR,fr;q=0.9,hi;q=0.8,en;q=0.5' });
      expectStatus(answer, 200);
      expect(lastSms(service, phone.e164)).toMatch(HINDI);
    });

    it('lets the locale field win over Accept-Language', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, locale: 'es' }, { 'accept-language': 'hi' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(SPANISH_SMS);
    });

    it('falls back to English for a locale the service has no templates for, without an error', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, locale: 'fr-CA' }, { 'accept-language': 'de, ja;q=0.5' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(ENGLISH_SMS);
    });

    it('falls back to English with neither a locale field nor Accept-Language', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expect(lastSms(service, phone.e164)).toMatch(ENGLISH_SMS);
    });

    it.each([
      { case: 'not a language tag', locale: 'not a locale!' },
      { case: 'too long', locale: `en-${'a'.repeat(40)}` },
      { case: 'a number', locale: 42 },
    ])('answers 422 VALIDATION_ERROR for a locale field that is $case', async ({ locale }) => {
      expectError(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164, locale }), 422, 'VALIDATION_ERROR');
    });

    it('takes the locale on the resend and on the login of both families', async () => {
      const { phone } = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'phone', identifier: phone.e164, locale: 'hi' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(/आपका लॉगिन कोड है/);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164, locale: 'es' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(/^Tu clave para entrar es/);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164, locale: 'hi-IN' }), 200);
      expect(lastSms(service, phone.e164)).toMatch(/आपका लॉगिन कोड है/);
      const registering = newPhone();
      expectStatus(await service.post(SAL27.registerRequest, { phone: registering.e164 }, { 'accept-language': 'es-ES' }), 200);
      expect(lastSms(service, registering.e164)).toMatch(/^Tu clave para crear la cuenta es/);
    });

    it('adds no autofill line when WEBOTP_DOMAIN and ANDROID_APP_HASH are unset', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expect(lastSms(service, phone.e164).split('\n')).toHaveLength(1);
      expect(lastSms(service, phone.e164)).not.toContain('@');
    });

    it('sends email as multipart text and HTML, both carrying the code', async () => {
      const { email } = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post(V2.login, { type: 'email', identifier: email }), 200);
      const mail = lastMail(service, email);
      const code = service.smtp.latestCode(email)!;
      expect(mail.contentType).toBe('multipart/alternative');
      expect(mail.text).toContain(code);
      expect(mail.html).toContain(`>${code}</div>`);
      // Readable with images and remote content blocked: there is none.
      expect(mail.html).not.toMatch(/<img|<link|url\(|src=|https?:\/\//i);
      expect(mail.html).toContain('<meta name="color-scheme" content="light dark">');
    });
  });

  describe('WEBOTP_DOMAIN and ANDROID_APP_HASH', () => {
    const service = serviceForBlock({ backend, env: { WEBOTP_DOMAIN: 'shop.example.com', ANDROID_APP_HASH: 'FA+9qCX9VSu' } });

    it('ends every SMS with the app hash line and then the WebOTP line "@shop.example.com #<code>"', async () => {
      for (const locale of ['en', 'hi', 'es']) {
        const phone = newPhone();
        expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, locale }), 200);
        const lines = lastSms(service, phone.e164).split('\n');
        const code = smsCode(service, phone.e164);
        expect(lines.at(-1), locale).toBe(`@shop.example.com #${code}`);
        expect(lines.at(-2), locale).toBe('FA+9qCX9VSu');
      }
    });

    it('still verifies the code the SMS carries', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const code = /#(\d{6})$/.exec(lastSms(service, phone.e164))![1]!;
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: code }), 201);
    });
  });

  describe('SMS segments', () => {
    const service = serviceForBlock({ backend });

    it('counts each send by its segments and logs the size of every template at start-up', async () => {
      const before = service.deliveryStats.snapshot();
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164, locale: 'hi' }), 200);
      const after = service.deliveryStats.snapshot();
      expect(after.smsSent - before.smsSent).toBe(1);
      expect(after.smsSegments - before.smsSegments).toBe(measureSms(lastSms(service, phone.e164)).segments);
      expect(after.smsBySegments['1']! - (before.smsBySegments['1'] ?? 0)).toBe(1);
      expect(service.logs()).toMatch(/"locale":"hi","purpose":"register","encoding":"UCS-2","segments":1,"units":\d+,"msg":"SMS template measured"/);
      expect(service.logs()).toMatch(/"locale":"en","purpose":"login","encoding":"GSM-7","segments":1,"units":\d+,/);
    });
  });
});
