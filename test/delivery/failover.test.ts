// The failover sender over real providers talking to local fakes: Twilio, the webhook receiver and
// two SMTP relays. The HTTP-level behaviour (same code, breaker, 503) is in test/api/provider-failover.test.ts.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createSmtpSender } from '../../src/delivery/email-smtp.js';
import { createFailoverSender, type FailoverOptions } from '../../src/delivery/failover.js';
import { otpMessage } from '../support/messages.js';
import { createTwilioSender } from '../../src/delivery/sms-twilio.js';
import { createWebhookSender } from '../../src/delivery/sms-webhook.js';
import type { Sender } from '../../src/domain/ports.js';
import { capturedLogger } from '../support/capture.js';
import { createTestClock } from '../support/clock.js';
import { startFakeSmsWebhook, type FakeSmsWebhook } from '../support/fake-sms-webhook.js';
import { startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';

const ACCOUNT_SID = `AC${'c'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-auth-token';
const WEBHOOK_SECRET = 'failover-webhook-secret-0123456789abcdef';
const TO = '+15551230002';
const CODE = '305917';
const SMS = otpMessage({ channel: 'phone', purpose: 'register', code: CODE, ttlMinutes: 10 });

function deliveryLog() {
  const log = capturedLogger('debug');
  return { ...log, attempts: () => log.entries().filter((entry) => entry.msg === 'delivery attempt') };
}

describe('failover sender', () => {
  let twilio: FakeTwilio;
  let receiver: FakeSmsWebhook;
  let firstRelay: FakeSmtp;
  let secondRelay: FakeSmtp;
  const closers: Sender[] = [];

  function smsProviders(): Sender[] {
    const config = loadConfig({
      NODE_ENV: 'test',
      SMS_PROVIDER: 'twilio,webhook',
      TWILIO_API_BASE_URL: twilio.url,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_FROM: '+15005550006',
      SMS_WEBHOOK_URL: receiver.url,
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    return [createTwilioSender(config), createWebhookSender(config)];
  }

  function failover(providers: Sender[], options: Partial<FailoverOptions> = {}): Sender {
    const sender = createFailoverSender({
      channel: 'phone',
      providers,
      breaker: undefined,
      budgetMs: 1000,
      clock: createTestClock(),
      logger: pino({ level: 'silent' }),
      ...options,
    });
    closers.push(sender);
    return sender;
  }

  beforeAll(async () => {
    [twilio, receiver, firstRelay, secondRelay] = await Promise.all([
      startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
      startFakeSmsWebhook(WEBHOOK_SECRET),
      startFakeSmtp(),
      startFakeSmtp(),
    ]);
  });
  afterAll(async () => {
    await Promise.all(closers.map((sender) => sender.close?.()));
    await Promise.all([twilio.close(), receiver.close(), firstRelay.close(), secondRelay.close()]);
  });
  beforeEach(() => {
    for (const fake of [twilio, receiver, firstRelay, secondRelay]) {
      fake.clear();
      fake.setMode('ok');
    }
  });

  it('is named after its providers, in order', () => {
    expect(failover(smsProviders()).name).toBe('twilio,webhook');
  });

  it('uses only the first provider when it delivers', async () => {
    await failover(smsProviders()).send({ to: TO, ...SMS }, AbortSignal.timeout(1000));
    expect(twilio.latestCode(TO)).toBe(CODE);
    expect(receiver.requestCount()).toBe(0);
  });

  it('gives a hanging first provider half the budget and the next one the rest', async () => {
    twilio.setMode('hang');
    const log = deliveryLog();
    const startedMs = Date.now();
    await failover(smsProviders(), { logger: log.logger }).send({ to: TO, ...SMS }, AbortSignal.timeout(1000));
    const tookMs = Date.now() - startedMs;

    expect(receiver.latestCode(TO)).toBe(CODE);
    expect(tookMs).toBeGreaterThanOrEqual(450);
    expect(tookMs).toBeLessThan(1000);
    const [first, second] = log.attempts();
    expect(first).toMatchObject({ provider: 'twilio', outcome: 'timed out', attempt: 1, channel: 'phone' });
    expect(first?.durationMs).toBeGreaterThanOrEqual(450);
    expect(first?.durationMs).toBeLessThan(700);
    expect(second).toMatchObject({ provider: 'webhook', outcome: 'ok', attempt: 2, level: 30 });
  });

  it('fails naming every provider and its reason, and nothing of the message', async () => {
    twilio.setMode('server-error');
    receiver.setMode('server-error');
    const log = deliveryLog();
    const failure = failover(smsProviders(), { logger: log.logger }).send({ to: TO, ...SMS }, AbortSignal.timeout(1000));

    await expect(failure).rejects.toThrow('no provider delivered (twilio: Twilio answered HTTP 500 with error code 20500; webhook: SMS webhook answered HTTP 500)');
    expect(log.attempts().map((entry) => [entry.provider, entry.outcome, entry.level])).toEqual([
      ['twilio', 'failed', 40],
      ['webhook', 'failed', 40],
    ]);
    expect(log.text()).not.toContain(CODE);
    expect(log.text()).not.toContain(TO);
  });

  it('tries no further provider once the caller has given up', async () => {
    twilio.setMode('hang');
    await expect(failover(smsProviders(), { budgetMs: 60_000 }).send({ to: TO, ...SMS }, AbortSignal.timeout(200))).rejects.toThrow(
      /no provider delivered \(twilio: timed out\)/,
    );
    expect(receiver.requestCount()).toBe(0);
  });

  it('skips a provider whose breaker is open, and fails at once when every breaker is open', async () => {
    twilio.setMode('server-error');
    receiver.setMode('server-error');
    const clock = createTestClock();
    const log = deliveryLog();
    const sender = failover(smsProviders(), { breaker: { failures: 1, windowMs: 30_000, openMs: 30_000 }, clock, logger: log.logger });
    await expect(sender.send({ to: TO, ...SMS }, AbortSignal.timeout(1000))).rejects.toThrow(/twilio: Twilio answered HTTP 500/);
    expect(log.text()).toContain('provider circuit opened');

    const startedMs = Date.now();
    await expect(sender.send({ to: TO, ...SMS }, AbortSignal.timeout(1000))).rejects.toThrow(
      'no provider delivered (twilio: skipped (circuit open); webhook: skipped (circuit open))',
    );
    expect(Date.now() - startedMs).toBeLessThan(100);
    expect([twilio.requestCount(), receiver.requestCount()]).toEqual([1, 1]);
    expect(log.attempts().slice(-2).map((entry) => [entry.provider, entry.outcome])).toEqual([
      ['twilio', 'skipped'],
      ['webhook', 'skipped'],
    ]);
  });

  it('sends an email through the second SMTP relay with the same text when the first rejects it', async () => {
    const email = otpMessage({ channel: 'email', purpose: 'login', code: CODE, ttlMinutes: 10 });
    const relays = [firstRelay, secondRelay].map((relay) =>
      createSmtpSender(loadConfig({ NODE_ENV: 'test', EMAIL_PROVIDER: 'smtp', SMTP_URL: relay.url, EMAIL_FROM: 'no-reply@shop.test' })),
    );
    firstRelay.setMode('reject');
    await failover(relays, { channel: 'email' }).send({ to: 'customer@example.com', ...email }, AbortSignal.timeout(2000));

    expect(firstRelay.messages).toHaveLength(0);
    expect(secondRelay.messages).toHaveLength(1);
    expect(secondRelay.messages[0]).toMatchObject({ subject: email.subject, to: ['customer@example.com'] });
    expect(secondRelay.latestCode('customer@example.com')).toBe(CODE);
  });
});
