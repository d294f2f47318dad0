import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createSmtpSender } from '../../src/delivery/email-smtp.js';
import { otpMessage } from '../support/messages.js';
import type { Sender } from '../../src/domain/ports.js';
import { failureOf } from '../support/capture.js';
import { startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.js';

const TO = 'customer@example.com';
const CODE = '730164';
const MESSAGE = otpMessage({ channel: 'email', purpose: 'register', code: CODE, ttlMinutes: 10 });

function smtpConfig(url: string) {
  return loadConfig({
    NODE_ENV: 'test',
    EMAIL_PROVIDER: 'smtp',
    SMTP_URL: url,
    EMAIL_FROM: 'Shop <no-reply@shop.test>',
    DELIVERY_TIMEOUT_MS: '2000',
  });
}

describe('SMTP email sender', () => {
  let fake: FakeSmtp;
  const senders: Sender[] = [];

  function sender(url = fake.url): Sender {
    const created = createSmtpSender(smtpConfig(url));
    senders.push(created);
    return created;
  }

  beforeAll(async () => {
    fake = await startFakeSmtp({ user: 'mailer', pass: 'mail-secret' });
  });
  afterAll(async () => {
    await Promise.all(senders.map((created) => created.close?.()));
    await fake.close();
  });
  beforeEach(() => {
    fake.clear();
    fake.setMode('ok');
  });

  it('delivers subject and text from the configured address, after logging in', async () => {
    await sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));

    expect(fake.messages).toHaveLength(1);
    const [received] = fake.messages;
    expect(received).toMatchObject({ from: 'no-reply@shop.test', to: [TO], subject: 'Your registration code' });
    expect(received?.raw).toMatch(/^From: Shop <no-reply@shop\.test>$/m);
    expect(received?.text).toContain(`Your registration code is: ${CODE}`);
    expect(fake.latestCode(TO)).toBe(CODE);
  });

  it('sends several messages over the pool', async () => {
    const shared = sender();
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => shared.send({ to: `customer${index}@example.com`, ...MESSAGE }, AbortSignal.timeout(2000))),
    );
    expect(fake.messages).toHaveLength(12);
    expect(await fake.waitForCode('customer11@example.com')).toBe(CODE);
  });

  it('rejects when the password is wrong', async () => {
    const url = new URL(fake.url);
    url.password = 'wrong';
    const error = await failureOf(sender(url.toString()).send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(error.message).toMatch(/EAUTH/);
    expect(fake.messages).toHaveLength(0);
  });

  it('rejects a refused recipient without the message text or the code in the error', async () => {
    fake.setMode('reject');
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(error.message).toMatch(/550/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(CODE);
    expect(error.cause).toBeUndefined();
  });

  it('gives up promptly when the abort signal fires on a server that never answers DATA', async () => {
    fake.setMode('hang');
    const startedMs = Date.now();
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(300)));

    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - startedMs).toBeLessThan(1500);
    expect(fake.messages).toHaveLength(0);
  });

  it('refuses to start without a server URL or a from address', () => {
    const development = loadConfig({});
    expect(() => createSmtpSender(development)).toThrow(/SMTP_URL/);
    expect(() => createSmtpSender({ ...development, smtp: { url: fake.url, from: undefined } })).toThrow(/EMAIL_FROM/);
  });
});

describe('fake SMTP without credentials', () => {
  it('accepts mail without AUTH and decodes a quoted-printable body', async () => {
    const fake = await startFakeSmtp();
    const sender = createSmtpSender(smtpConfig(fake.url));
    try {
      const text = `${'Ünïcödé and a long line that nodemailer has to wrap with soft line breaks. '.repeat(3)}\nYour code: 55120977`;
      await sender.send({ ...MESSAGE, to: TO, subject: 'Grüße', text }, AbortSignal.timeout(2000));

      expect(fake.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
      expect(fake.messages[0]?.subject).toBe('Grüße');
      expect(fake.messages[0]?.text.trim()).toBe(text);
      expect(await fake.waitForCode(TO, 100)).toBe('55120977');
    } finally {
      await sender.close?.();
      await fake.close();
    }
  });
});
