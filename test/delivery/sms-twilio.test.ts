import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { otpMessage } from '../support/messages.js';
import { createTwilioSender } from '../../src/delivery/sms-twilio.js';
import type { Sender } from '../../src/domain/ports.js';
import { failureOf } from '../support/capture.js';
import { extractCode } from '../support/fake-inbox.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';

const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-auth-token';
const FROM = '+15005550006';
const SERVICE_SID = `MG${'b'.repeat(32)}`;
const TO = '+15551230001';
const CODE = '482913';
const MESSAGE = otpMessage({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 10 });
const TEXT = MESSAGE.text;

function twilioConfig(fake: FakeTwilio, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE_URL: fake.url,
    ...env,
  });
}

/** Every string an error carries where a log could pick it up. */
function everythingIn(error: unknown): string {
  return error instanceof Error ? JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error.cause) : String(error);
}

describe('Twilio SMS sender', () => {
  let fake: FakeTwilio;
  const senders: Sender[] = [];

  function sender(env: Record<string, string> = {}): Sender {
    const created = createTwilioSender(twilioConfig(fake, env));
    senders.push(created);
    return created;
  }

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });
  afterAll(async () => {
    await Promise.all(senders.map((created) => created.close?.()));
    await fake.close();
  });
  beforeEach(() => {
    fake.clear();
    fake.setMode('ok');
  });

  it('posts To, Body and From with the account credentials', async () => {
    await sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));

    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ to: TO, from: FROM, body: TEXT });
    expect(fake.messages[0]?.messagingServiceSid).toBeUndefined();
    expect(fake.latestCode(TO)).toBe(CODE);
  });

  it('posts MessagingServiceSid instead of From when a messaging service is configured', async () => {
    await sender({ TWILIO_FROM: '', TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID }).send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));

    expect(fake.messages[0]).toMatchObject({ to: TO, messagingServiceSid: SERVICE_SID, body: TEXT });
    expect(fake.messages[0]?.from).toBeUndefined();
  });

  it('prefers the messaging service when both it and a From number are set', async () => {
    await sender({ TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID }).send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));

    expect(fake.messages[0]?.messagingServiceSid).toBe(SERVICE_SID);
    expect(fake.messages[0]?.from).toBeUndefined();
  });

  it('reuses one sender for many messages', async () => {
    const shared = sender();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => shared.send({ to: `+1555123${String(index).padStart(4, '0')}`, ...MESSAGE }, AbortSignal.timeout(2000))),
    );
    expect(fake.messages).toHaveLength(20);
  });

  it('rejects naming status and Twilio code when the credentials are wrong', async () => {
    const error = await failureOf(sender({ TWILIO_AUTH_TOKEN: 'wrong-token' }).send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(String(error)).toMatch(/HTTP 401.*20003/);
    expect(fake.messages).toHaveLength(0);
  });

  it('rejects a 4xx with the status and code but without the message text or the code', async () => {
    fake.setMode('client-error');
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Twilio answered HTTP 400 with error code 21211');
    expect(everythingIn(error)).not.toContain(CODE);
    expect(everythingIn(error)).not.toContain('verification');
  });

  it('rejects a 5xx', async () => {
    fake.setMode('server-error');
    await expect(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000))).rejects.toThrow(/HTTP 500/);
  });

  it('gives up promptly when the abort signal fires on a server that never answers', async () => {
    fake.setMode('hang');
    const startedMs = Date.now();
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(300)));

    expect((error as Error).name).toBe('TimeoutError');
    expect(Date.now() - startedMs).toBeLessThan(1500);
  });

  it('sends nothing when the signal has already fired', async () => {
    await expect(sender().send({ to: TO, ...MESSAGE }, AbortSignal.abort())).rejects.toThrow();
    expect(fake.messages).toHaveLength(0);
  });

  it('refuses to start without an account, a token, or a sender number or service', () => {
    const development = loadConfig({});
    expect(() => createTwilioSender(development)).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(() => createTwilioSender({ twilio: { ...development.twilio, accountSid: ACCOUNT_SID } })).toThrow(/TWILIO_AUTH_TOKEN/);
    expect(() =>
      createTwilioSender({ twilio: { ...development.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } }),
    ).toThrow(/TWILIO_FROM/);
  });
});

describe('fake Twilio', () => {
  let fake: FakeTwilio;

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers a missing To with Twilio error 21604', async () => {
    const response = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ Body: 'hello', From: FROM }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 21604, status: 400 });
  });

  it('answers a message with a Twilio-shaped resource and serves it on the control endpoint', async () => {
    const sender = createTwilioSender(twilioConfig(fake));
    const waiting = fake.waitForCode(TO);
    await sender.send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));
    await sender.close?.();

    expect(await waiting).toBe(CODE);
    const response = await fetch(`${fake.url}/_fake/messages?to=${encodeURIComponent(TO)}`);
    const { messages } = (await response.json()) as { messages: Array<{ to: string; body: string }> };
    expect(messages).toEqual([expect.objectContaining({ to: TO, body: TEXT })]);
  });

  it('reads the code, not the expiry, out of a day-long code', () => {
    const text = otpMessage({ channel: 'phone', purpose: 'register', code: '9051', ttlMinutes: 1440 }).text;
    expect(extractCode(text)).toBe('9051');
  });

  it('rejects waitForCode when nothing arrives in time', async () => {
    await expect(fake.waitForCode('+15559999999', 50)).rejects.toThrow(/no message/);
  });
});
