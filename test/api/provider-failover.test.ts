// SMS_PROVIDER=twilio,webhook over HTTP: when the local Twilio fails or hangs, the local webhook
// receiver (which checks the signature) gets the same code; the breaker stops calling a Twilio that
// keeps failing and tries it again after the open period (moved on the injected clock, no sleeps).
// DELIVERY_TIMEOUT_MS is 1000 in the harness: a hanging Twilio gets 500 ms, the webhook the rest.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { startFakeSmsWebhook, type FakeSmsWebhook } from '../support/fake-sms-webhook.js';
import { SAL27, V2, expectError, expectStatus, newPhone, smsCode, smsCount, sql, type Phone } from '../support/flows.js';
import { startService, type Answer, type Service } from '../support/service.js';

const WEBHOOK_SECRET = 'provider-failover-webhook-secret-0123456789';
const OPEN_MS = 30_000;

interface LogEntry {
  msg?: string;
  provider?: string;
  channel?: string;
  outcome?: string;
  reason?: string;
  level?: number;
}

function logEntries(service: Service): LogEntry[] {
  return service
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry);
}

function deliveryAttempts(service: Service): LogEntry[] {
  return logEntries(service).filter((entry) => entry.msg === 'delivery attempt');
}

describe.each(backendsUnderTest())('%s', (backend) => {
  let receiver: FakeSmsWebhook;

  beforeAll(async () => {
    receiver = await startFakeSmsWebhook(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await receiver.close();
  });

  function startFailoverService(env: Record<string, string> = {}): Promise<Service> {
    return startService({
      backend,
      env: { SMS_PROVIDER: 'twilio,webhook', SMS_WEBHOOK_URL: receiver.url, SMS_WEBHOOK_SECRET: WEBHOOK_SECRET, ...env },
    });
  }

  function register(service: Service, phone: Phone): Promise<Answer> {
    return service.post(V2.register, { type: 'phone', identifier: phone.e164 });
  }

  function webhookCode(phone: Phone): string {
    const code = receiver.latestCode(phone.e164);
    if (code === undefined) throw new Error(`no webhook message reached ${phone.e164}`);
    return code;
  }

  describe('SMS failover (SMS_PROVIDER=twilio,webhook, breaker off)', () => {
    let service: Service;

    beforeAll(async () => {
      service = await startFailoverService({ PROVIDER_BREAKER: 'off' });
    });
    afterEach(() => {
      service.twilio.setMode('ok');
      receiver.setMode('ok');
    });
    afterAll(async () => {
      await service?.close();
    });

    it('delivers the code through the webhook when Twilio answers 500, signed, and that code signs the customer up', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      const rejectedBefore = receiver.rejectedCount();
      expectStatus(await register(service, phone), 200);

      expect(smsCount(service, phone.e164)).toBe(0);
      expect(receiver.rejectedCount()).toBe(rejectedBefore);
      expect(receiver.messages.filter((message) => message.to === phone.e164)).toEqual([
        expect.objectContaining({ purpose: 'register', code_length: 6, fields: ['to', 'body', 'code_length', 'purpose', 'locale'] }),
      ]);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: webhookCode(phone) }), 201);
    });

    it('carries the purpose of a SAL-27 login to the webhook', async () => {
      const phone = newPhone();
      expectStatus(await register(service, phone), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 201);
      service.twilio.setMode('client-error');
      expectStatus(await service.post(SAL27.loginRequest, { phone: phone.e164 }), 200);

      expect(receiver.messages.filter((message) => message.to === phone.e164).map((message) => message.purpose)).toEqual(['login']);
      expectStatus(await service.post(SAL27.loginVerify, { phone: phone.national, country_code: '+91', otp: webhookCode(phone) }), 200);
    });

    it('sends the same code through the webhook when Twilio took the message but never answered, within DELIVERY_TIMEOUT_MS', async () => {
      const phone = newPhone();
      service.twilio.setMode('accept-then-hang');
      const startedMs = Date.now();
      expectStatus(await register(service, phone), 200);
      const tookMs = Date.now() - startedMs;

      // Twilio had half of the 1000 ms budget; the webhook answered within the rest.
      expect(tookMs).toBeGreaterThanOrEqual(450);
      expect(tookMs).toBeLessThan(1000);
      const viaTwilio = smsCode(service, phone.e164);
      expect(webhookCode(phone)).toBe(viaTwilio);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: viaTwilio }), 201);
    });

    it('answers 503 DELIVERY_FAILED when every provider fails, keeps no code, and lets the customer ask again at once', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      receiver.setMode('server-error');
      expectError(await register(service, phone), 503, 'DELIVERY_FAILED');
      expect(await sql(service, 'select identifier from otp_challenges where identifier = ?', [phone.e164])).toHaveLength(0);

      service.twilio.setMode('ok');
      receiver.setMode('ok');
      expectStatus(await register(service, phone), 200);
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }), 201);
    });

    it('logs every attempt with provider, channel and outcome, and never the code or the number', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      const logged = deliveryAttempts(service).length;
      expectStatus(await register(service, phone), 200);

      const attempts = deliveryAttempts(service).slice(logged);
      expect(attempts).toEqual([
        expect.objectContaining({ provider: 'twilio', channel: 'phone', outcome: 'failed', reason: 'Twilio answered HTTP 500 with error code 20500' }),
        expect.objectContaining({ provider: 'webhook', channel: 'phone', outcome: 'ok' }),
      ]);
      const code = webhookCode(phone);
      const logs = service.logs().replace(/"(pid|time)":\d+/g, '');
      expect(logs).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
      expect(logs).not.toContain(phone.national);
    });
  });

  describe('provider circuit breaker (PROVIDER_BREAKER default 5/30s)', () => {
    let service: Service;

    beforeEach(async () => {
      receiver.setMode('ok');
      service = await startFailoverService();
    });
    afterEach(async () => {
      await service.close();
    });

    /** Five failures in a row open Twilio's breaker; every one of those codes still goes out by webhook. */
    async function openTwilio(): Promise<void> {
      service.twilio.setMode('server-error');
      for (let failure = 1; failure <= 5; failure++) {
        const phone = newPhone();
        expectStatus(await register(service, phone), 200);
        webhookCode(phone);
      }
      expect(service.twilio.requestCount()).toBe(5);
      expect(logEntries(service)).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('provider circuit opened'), provider: 'twilio', level: 50 }));
    }

    it('stops calling a Twilio that failed five times in a row, tries it again after 30 s, and closes when the trial delivers', async () => {
      await openTwilio();
      for (let skipped = 1; skipped <= 3; skipped++) expectStatus(await register(service, newPhone()), 200);
      // Recovered, but still skipped until the open period is over.
      service.twilio.setMode('ok');
      expectStatus(await register(service, newPhone()), 200);
      expect(service.twilio.requestCount()).toBe(5);
      expect(deliveryAttempts(service).filter((entry) => entry.outcome === 'skipped')).toHaveLength(4);

      service.clock.advance(OPEN_MS);
      const trial = newPhone();
      expectStatus(await register(service, trial), 200);
      expect(service.twilio.requestCount()).toBe(6);
      expect(smsCount(service, trial.e164)).toBe(1);
      expect(receiver.latestCode(trial.e164)).toBeUndefined();
      expect(logEntries(service)).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('provider circuit closed'), provider: 'twilio' }));

      const after = newPhone();
      expectStatus(await register(service, after), 200);
      expect(service.twilio.requestCount()).toBe(7);
      expect(smsCount(service, after.e164)).toBe(1);
    });

    it('lets one trial through a half-open breaker while parallel requests go to the webhook', async () => {
      await openTwilio();
      service.clock.advance(OPEN_MS);
      // The trial hangs for its share of the budget; everyone else must not wait for it or join it.
      service.twilio.setMode('hang');
      const phones = Array.from({ length: 8 }, () => newPhone());
      const answers = await Promise.all(phones.map((phone) => register(service, phone)));

      for (const answer of answers) expectStatus(answer, 200);
      expect(service.twilio.requestCount()).toBe(6);
      for (const phone of phones) webhookCode(phone);
      expect(deliveryAttempts(service).filter((entry) => entry.provider === 'twilio' && entry.outcome === 'timed out')).toHaveLength(1);
    });

    it('opens again for a full period when the trial fails', async () => {
      await openTwilio();
      service.clock.advance(OPEN_MS);
      expectStatus(await register(service, newPhone()), 200);
      expect(service.twilio.requestCount()).toBe(6);
      expect(logEntries(service)).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('trial failed'), provider: 'twilio' }));

      service.clock.advance(OPEN_MS - 1000);
      expectStatus(await register(service, newPhone()), 200);
      expect(service.twilio.requestCount()).toBe(6);
      service.clock.advance(1000);
      expectStatus(await register(service, newPhone()), 200);
      expect(service.twilio.requestCount()).toBe(7);
    });

    it('answers 503 DELIVERY_FAILED at once, calling no provider, while every breaker is open', async () => {
      service.twilio.setMode('server-error');
      receiver.setMode('server-error');
      const requestsBefore = receiver.requestCount();
      for (let failure = 1; failure <= 5; failure++) expectError(await register(service, newPhone()), 503, 'DELIVERY_FAILED');
      expect([service.twilio.requestCount(), receiver.requestCount() - requestsBefore]).toEqual([5, 5]);

      service.twilio.setMode('ok');
      receiver.setMode('ok');
      const startedMs = Date.now();
      expectError(await register(service, newPhone()), 503, 'DELIVERY_FAILED');
      expect(Date.now() - startedMs).toBeLessThan(250);
      expect([service.twilio.requestCount(), receiver.requestCount() - requestsBefore]).toEqual([5, 5]);

      service.clock.advance(OPEN_MS);
      const phone = newPhone();
      expectStatus(await register(service, phone), 200);
      expect(smsCount(service, phone.e164)).toBe(1);
    });
  });
});
