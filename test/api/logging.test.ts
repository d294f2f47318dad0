// No code, no token and no full identifier ever reaches the log (the harness captures every line,
// here at LOG_LEVEL=trace with requests at info), whatever path the request took: success, wrong
// code, failed delivery, bad token. Every request line carries its id; security events are named.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { extractCode } from '../support/fake-inbox.js';
import {
  COOLDOWN_MS,
  ME,
  SAL27,
  V2,
  expectError,
  expectStatus,
  loginEmail,
  loginPhone,
  newEmail,
  newPhone,
  otherCode,
  registerEmail,
  registerPhone,
  smsCode,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

/** The code as a standalone run of digits (a 13-digit timestamp may contain any 6 digits). */
function standalone(code: string): RegExp {
  return new RegExp(`(?<!\\d)${code}(?!\\d)`);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend, env: { LOG_LEVEL: 'trace', REQUEST_LOG_LEVEL: 'info' } });

  describe('the log', () => {
    it('holds no code, no token and no full phone or email after full flows of both families, wrong codes, failed deliveries and bad tokens', async () => {
      const secrets: string[] = [];
      const identifiers: string[] = [];
      const used = <T extends { e164: string; national: string }>(phone: T): T => {
        identifiers.push(phone.e164, phone.national);
        return phone;
      };
      const usedEmail = (email: string): string => {
        identifiers.push(email);
        return email;
      };
      const sentCodes = () => [
        ...service.twilio.messages.map((message) => extractCode(message.body)),
        ...service.smtp.messages.map((message) => extractCode(message.text)),
      ];

      // Registration and login by phone and by email (login-api-v2).
      const phoneAccount = await registerPhone(service, used(newPhone()), { name: 'Log Test', email: usedEmail(newEmail()) });
      const emailAccount = await registerEmail(service, usedEmail(newEmail()));
      service.clock.advance(COOLDOWN_MS);
      const phoneLogin = await loginPhone(service, phoneAccount.phone);
      const emailLogin = await loginEmail(service, emailAccount.email);
      secrets.push(phoneAccount.token, emailAccount.token, phoneLogin.token, emailLogin.token);

      // SAL-27, with wrong codes on the way.
      const phone = used(newPhone());
      expectStatus(await service.post(SAL27.registerRequest, { phone: phone.national, country_code: '+91' }), 200);
      const code = smsCode(service, phone.e164);
      for (let attempt = 1; attempt <= 2; attempt++) {
        const wrong = otherCode(code, attempt);
        secrets.push(wrong);
        expectError(await service.post(SAL27.registerVerify, { phone: phone.e164, otp: wrong }), 400, 'OTP_INVALID');
      }
      const registered = await service.post(SAL27.registerVerify, { phone: phone.national, otp: code });
      expectStatus(registered, 201);
      secrets.push(registered.body.data.access_token);

      // A code used up by attempts, and a cooldown refusal.
      const exhausted = used(newPhone());
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: exhausted.e164 }), 200);
      const exhaustedCode = smsCode(service, exhausted.e164);
      for (let attempt = 1; attempt <= 6; attempt++) {
        await service.post(V2.verifyRegistration, { type: 'phone', identifier: exhausted.e164, otp: otherCode(exhaustedCode, attempt) });
      }
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: exhausted.e164, otp: exhaustedCode }), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await service.post(V2.register, { type: 'phone', identifier: exhausted.e164 }), 429, 'OTP_COOLDOWN');

      // Failed deliveries of both kinds.
      service.twilio.setMode('client-error');
      expectError(await service.post(V2.register, { type: 'phone', identifier: used(newPhone()).e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('server-error');
      expectError(await service.post(V2.register, { type: 'phone', identifier: used(newPhone()).e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('ok');
      service.smtp.setMode('reject');
      expectError(await service.post(V2.register, { type: 'email', identifier: usedEmail(newEmail()) }), 503, 'DELIVERY_FAILED');
      service.smtp.setMode('ok');

      // Tokens at /me, good and tampered.
      expectStatus(await service.get(ME, { authorization: `Bearer ${phoneLogin.token}` }), 200);
      expectError(await service.get(ME, { authorization: `Bearer ${phoneLogin.token}x` }), 401, 'UNAUTHORIZED');

      const codes = sentCodes();
      expect(codes).toHaveLength(6);
      // The process id and timestamps are numbers that could hold any 6 digits by chance.
      const logs = service.logs().replace(/"(pid|time)":\d+/g, '');
      // The capture works: every request left a line at debug level.
      expect(logs).toContain('request completed');
      expect(logs).toContain('OTP delivery failed');
      expect(logs.split('\n').length).toBeGreaterThan(20);
      // A request that succeeded is not logged as one that errored.
      const requestLines = service
        .logs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { statusCode?: number; msg?: string })
        .filter((line) => line.statusCode !== undefined);
      expect(requestLines.length).toBeGreaterThan(20);
      for (const line of requestLines.filter((l) => l.statusCode! < 300)) expect(line.msg).toBe('request completed');

      for (const sent of codes) {
        expect(sent).toMatch(/^\d{6}$/);
        expect(logs, `code ${sent} is in the log`).not.toMatch(standalone(sent!));
      }
      for (const secret of secrets) {
        if (/^\d+$/.test(secret)) {
          expect(logs, `submitted code ${secret} is in the log`).not.toMatch(standalone(secret));
        } else {
          expect(logs, 'a token is in the log').not.toContain(secret);
          expect(logs, "a token's signature is in the log").not.toContain(secret.split('.')[2]);
        }
      }
      for (const identifier of identifiers) expect(logs, `${identifier} is in the log`).not.toContain(identifier);
      // Every line of a request carries its id; security events carry a stable name.
      const lines = service.logs().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const line of lines.filter((l) => l.statusCode !== undefined || l.event !== undefined)) expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
      const events = new Set(lines.map((line) => line.event).filter((event) => event !== undefined));
      for (const event of ['sign_in_succeeded', 'registration_succeeded', 'sign_in_failed', 'attempts_exceeded', 'limit_tripped']) expect(events).toContain(event);
      // Neither the message texts nor the Authorization header are logged.
      expect(logs).not.toMatch(/Your (login|verification|registration) code is/);
      expect(logs).not.toMatch(/Bearer /);
    });
  });
});
