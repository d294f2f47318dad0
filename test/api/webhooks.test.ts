// POST /api/v1/webhooks/twilio/status: Twilio's delivery receipts, counted by calling code and
// error code only when signed with the account's auth token.
import { describe, expect, it } from 'vitest';
import { twilioSignature } from '../../src/delivery/twilio-status.js';
import { backendsUnderTest } from '../support/backends.js';
import { V2, expectError, expectStatus, newPhone } from '../support/flows.js';
import { TWILIO_TOKEN, serviceForBlock, type Service } from '../support/service.js';

const PATH = '/api/v1/webhooks/twilio/status';
// The public URL Twilio calls: what it signs, whatever address the request reaches us on.
const PUBLIC_URL = `https://auth.shop.example.com${PATH}`;

function receiptForm(status: string, to: string, errorCode = ''): Array<[string, string]> {
  return [
    ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
    ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
    ['MessageStatus', status],
    ['SmsStatus', status],
    ['To', to],
    ['From', '+15005550006'],
    ['ErrorCode', errorCode],
    ['ApiVersion', '2010-04-01'],
  ];
}

function post(service: Service, form: Array<[string, string]>, signature: string | undefined, contentType = 'application/x-www-form-urlencoded') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (signature !== undefined) headers['x-twilio-signature'] = signature;
  return service.request('POST', PATH, new URLSearchParams(form).toString(), headers);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe(`POST ${PATH}`, () => {
    const service = serviceForBlock({ backend, env: { TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL } });

    it('asks Twilio for status callbacks on every SMS', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expect(service.twilio.messages.filter((message) => message.to === phone.e164).at(-1)?.statusCallback).toBe(PUBLIC_URL);
    });

    it('counts a signed "undelivered" receipt by calling code and Twilio error code, logging neither number nor body', async () => {
      const phone = newPhone();
      const form: Array<[string, string]> = [...receiptForm('undelivered', phone.e164, '30003'), ['Body', 'Your login code is 740219']];
      const answer = await post(service, form, twilioSignature(TWILIO_TOKEN, PUBLIC_URL, form));
      expect(answer.status).toBe(204);
      expect(service.deliveryStats.snapshot().receipts).toContainEqual({ status: 'undelivered', callingCode: '91', errorCode: '30003', count: 1 });
      const metrics = String((await service.get('/metrics')).body);
      expect(metrics).toMatch(/^sms_delivery_receipts_total\{status="undelivered",calling_code="91",error_code="30003"\} 1$/m);
      const logs = service.logs();
      expect(logs).toMatch(/"status":"undelivered","calling_code":"91","error_code":"30003"/);
      expect(logs).not.toContain(phone.national);
      expect(logs).not.toContain('740219');
    });

    it('counts delivered and failed receipts, and ignores intermediate ones', async () => {
      const before = service.deliveryStats.snapshot().receipts;
      for (const [status, errorCode] of [['delivered', ''], ['delivered', ''], ['failed', '30008'], ['sent', ''], ['queued', '']] as const) {
        const form = receiptForm(status, '+14155550100', errorCode);
        expect((await post(service, form, twilioSignature(TWILIO_TOKEN, PUBLIC_URL, form))).status).toBe(204);
      }
      const after = service.deliveryStats.snapshot().receipts;
      const count = (receipts: typeof after, status: string) => receipts.filter((r) => r.status === status && r.callingCode === '1').reduce((sum, r) => sum + r.count, 0);
      expect(count(after, 'delivered') - count(before, 'delivered')).toBe(2);
      expect(count(after, 'failed') - count(before, 'failed')).toBe(1);
      expect(after.find((r) => r.status === 'failed' && r.callingCode === '1')?.errorCode).toBe('30008');
      expect(after.length - before.length).toBe(2);
    });

    it.each([
      { case: 'a wrong signature', signature: () => 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', contentType: undefined },
      { case: 'no signature', signature: () => undefined, contentType: undefined },
      { case: 'a signature made with another auth token', signature: (form: Array<[string, string]>) => twilioSignature('not-the-token', PUBLIC_URL, form), contentType: undefined },
      { case: 'a signature for another URL', signature: (form: Array<[string, string]>) => twilioSignature(TWILIO_TOKEN, 'https://evil.example.com/hook', form), contentType: undefined },
      { case: 'a JSON body', signature: (form: Array<[string, string]>) => twilioSignature(TWILIO_TOKEN, PUBLIC_URL, form), contentType: 'application/json' },
    ])('answers 403 WEBHOOK_SIGNATURE_INVALID to $case and counts nothing', async ({ signature, contentType }) => {
      const before = JSON.stringify(service.deliveryStats.snapshot());
      const form = receiptForm('undelivered', '+919876500099', '30005');
      expectError(await post(service, form, signature(form), contentType), 403, 'WEBHOOK_SIGNATURE_INVALID');
      expect(JSON.stringify(service.deliveryStats.snapshot())).toBe(before);
    });

    it('answers 403 to a signed receipt whose parameters were changed on the way', async () => {
      const before = JSON.stringify(service.deliveryStats.snapshot());
      const signed = receiptForm('delivered', '+919876500098');
      const tampered = receiptForm('undelivered', '+919876500098', '30003');
      expectError(await post(service, tampered, twilioSignature(TWILIO_TOKEN, PUBLIC_URL, signed)), 403, 'WEBHOOK_SIGNATURE_INVALID');
      expect(JSON.stringify(service.deliveryStats.snapshot())).toBe(before);
    });
  });

  describe(`POST ${PATH} without TWILIO_STATUS_CALLBACK_URL`, () => {
    const service = serviceForBlock({ backend });

    it('is not served, and no SMS asks for callbacks', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expect(service.twilio.messages.at(-1)?.statusCallback).toBeUndefined();
      const form = receiptForm('delivered', phone.e164);
      expectError(await post(service, form, twilioSignature(TWILIO_TOKEN, PUBLIC_URL, form)), 404, 'NOT_FOUND');
    });
  });
});
