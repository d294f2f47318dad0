import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { otpMessage } from '../support/messages.js';
import { createWebhookSender } from '../../src/delivery/sms-webhook.js';
import { signWebhook, verifyWebhookSignature } from '../../src/delivery/webhook-signature.js';
import type { Sender } from '../../src/domain/ports.js';
import { failureOf } from '../support/capture.js';
import { startFakeSmsWebhook, type FakeSmsWebhook } from '../support/fake-sms-webhook.js';

const SECRET = 'example-webhook-secret-0123456789abcdef';
const TO = '+15551230001';
const CODE = '482913';
const MESSAGE = otpMessage({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 10 });

// A fixed example, its expected value computed outside this code base:
//   printf '%s' "$TIMESTAMP.$BODY" | openssl dgst -sha256 -hmac 'example-webhook-secret-0123456789abcdef'
// (Python's hmac.new(secret, f"{timestamp}.{body}", sha256) gives the same hex.)
const EXAMPLE = {
  timestamp: '1767225600', // 2026-01-01T00:00:00Z
  body: '{"to":"+15551230001","body":"Your login code is 482913. It expires in 10 minutes. Do not share it with anyone.","code_length":6,"purpose":"login"}',
  signature: 'sha256=53cad9d5b7858676c0acde2659295a52dfa1240dc26ebd246c597f1782b9d853',
};
const EXAMPLE_MS = Number(EXAMPLE.timestamp) * 1000;

function webhookConfig(url: string, secret = SECRET) {
  return loadConfig({ NODE_ENV: 'test', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: url, SMS_WEBHOOK_SECRET: secret });
}

describe('webhook signature', () => {
  it('signs the fixed example exactly as openssl does', () => {
    expect(signWebhook(SECRET, EXAMPLE.timestamp, EXAMPLE.body)).toBe(EXAMPLE.signature);
    expect(signWebhook(SECRET, EXAMPLE.timestamp, Buffer.from(EXAMPLE.body))).toBe(EXAMPLE.signature);
  });

  it('accepts the example within five minutes either side of its timestamp', () => {
    for (const offsetSeconds of [0, 299, 300, -300]) {
      const nowMs = EXAMPLE_MS + offsetSeconds * 1000;
      expect(verifyWebhookSignature({ secret: SECRET, rawBody: EXAMPLE.body, ...EXAMPLE, nowMs }), `${offsetSeconds} s`).toBe(true);
    }
  });

  it.each([
    { description: 'replayed six minutes later', change: { nowMs: EXAMPLE_MS + 360_000 } },
    { description: 'stamped six minutes in the future', change: { nowMs: EXAMPLE_MS - 360_000 } },
    { description: 'with a body changed by one character', change: { rawBody: EXAMPLE.body.replace('482913', '482914') } },
    { description: 'with the timestamp moved to pass the age check', change: { timestamp: '1767225601' } },
    { description: 'signed with another secret', change: { secret: `${SECRET}x` } },
    { description: 'without a signature', change: { signature: undefined } },
    { description: 'without a timestamp', change: { timestamp: undefined } },
    { description: 'with a timestamp that is not a number', change: { timestamp: '1767225600.0' } },
    { description: 'with the bare hex and no sha256= prefix', change: { signature: EXAMPLE.signature.slice('sha256='.length) } },
    { description: 'with an upper-case hex digest', change: { signature: EXAMPLE.signature.toUpperCase() } },
  ])('refuses the example $description', ({ change }) => {
    const check = { secret: SECRET, rawBody: EXAMPLE.body, timestamp: EXAMPLE.timestamp, signature: EXAMPLE.signature, nowMs: EXAMPLE_MS };
    expect(verifyWebhookSignature({ ...check, ...change })).toBe(false);
  });
});

type ReadmeVerifier = (secret: string, rawBody: Buffer, timestamp?: string, signature?: string, nowMs?: number) => boolean;

/** The receiver snippet in the README, loaded as a module: what operators copy must work. */
async function readmeVerifier(): Promise<ReadmeVerifier> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const snippet = /#### The webhook SMS provider[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (snippet === undefined) throw new Error('no js snippet under "The webhook SMS provider" in README.md');
  const source = `${snippet}\nexport { verifyWebhookSignature };\n`;
  const loaded = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { verifyWebhookSignature: ReadmeVerifier };
  return loaded.verifyWebhookSignature;
}

describe('the README receiver snippet', () => {
  it('accepts the fixed example and refuses it replayed, tampered or unsigned', async () => {
    const verify = await readmeVerifier();
    const body = Buffer.from(EXAMPLE.body);
    expect(verify(SECRET, body, EXAMPLE.timestamp, EXAMPLE.signature, EXAMPLE_MS + 60_000)).toBe(true);
    expect(verify(SECRET, body, EXAMPLE.timestamp, EXAMPLE.signature, EXAMPLE_MS + 301_000)).toBe(false);
    expect(verify(SECRET, Buffer.from(EXAMPLE.body.replace('login', 'register')), EXAMPLE.timestamp, EXAMPLE.signature, EXAMPLE_MS)).toBe(false);
    expect(verify(SECRET, body, EXAMPLE.timestamp, undefined, EXAMPLE_MS)).toBe(false);
  });

  it('shows the fixed example as the request the service sends', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`X-Signature-Timestamp: ${EXAMPLE.timestamp}`);
    expect(readme).toContain(`X-Signature: ${EXAMPLE.signature}`);
    expect(readme).toContain(EXAMPLE.body);
    expect(readme).toContain(SECRET);
  });
});

describe('webhook SMS sender', () => {
  let receiver: FakeSmsWebhook;
  const senders: Sender[] = [];

  function sender(url = receiver.url, secret = SECRET): Sender {
    const created = createWebhookSender(webhookConfig(url, secret));
    senders.push(created);
    return created;
  }

  beforeAll(async () => {
    receiver = await startFakeSmsWebhook(SECRET);
  });
  afterAll(async () => {
    await Promise.all(senders.map((created) => created.close?.()));
    await receiver.close();
  });
  beforeEach(() => {
    receiver.clear();
    receiver.setMode('ok');
  });

  it('posts to, body, code_length and purpose as JSON, signed so the receiver accepts it', async () => {
    await sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000));

    expect(receiver.rejectedCount()).toBe(0);
    expect(receiver.messages).toHaveLength(1);
    const [received] = receiver.messages;
    expect(received).toMatchObject({ to: TO, body: MESSAGE.text, code_length: 6, purpose: 'login', locale: 'en' });
    expect(received?.fields).toEqual(['to', 'body', 'code_length', 'purpose', 'locale']);
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const stampedSeconds = Number(received?.headers['x-signature-timestamp']);
    expect(Math.abs(stampedSeconds - Date.now() / 1000)).toBeLessThan(5);
    expect(receiver.latestCode(TO)).toBe(CODE);
  });

  it('reuses one keep-alive pool for many messages', async () => {
    const shared = sender();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => shared.send({ ...MESSAGE, to: `+1555123${String(index).padStart(4, '0')}` }, AbortSignal.timeout(2000))),
    );
    expect(receiver.messages).toHaveLength(20);
    expect(receiver.rejectedCount()).toBe(0);
  });

  it('fails when the receiver refuses the signature (the secrets differ)', async () => {
    const error = await failureOf(sender(receiver.url, 'another-secret-that-is-long-enough-0123').send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(error.message).toBe('SMS webhook answered HTTP 401');
    expect(receiver.rejectedCount()).toBe(1);
    expect(receiver.messages).toHaveLength(0);
  });

  it('fails on a 5xx naming the status only, never the text or the code', async () => {
    receiver.setMode('server-error');
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000)));

    expect(error.message).toBe('SMS webhook answered HTTP 500');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(CODE);
  });

  it('gives up promptly when the abort signal fires on a receiver that never answers', async () => {
    receiver.setMode('hang');
    const startedMs = Date.now();
    const error = await failureOf(sender().send({ to: TO, ...MESSAGE }, AbortSignal.timeout(300)));

    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - startedMs).toBeLessThan(1500);
  });

  it('fails when nothing listens at the URL', async () => {
    const closed = await startFakeSmsWebhook(SECRET);
    await closed.close();
    await expect(sender(closed.url).send({ to: TO, ...MESSAGE }, AbortSignal.timeout(2000))).rejects.toThrow();
  });

  it('refuses to start without a URL or a long enough secret', () => {
    const development = loadConfig({});
    expect(() => createWebhookSender(development)).toThrow(/SMS_WEBHOOK_URL/);
    expect(() => createWebhookSender({ smsWebhook: { url: receiver.url, secret: undefined } })).toThrow(/SMS_WEBHOOK_SECRET/);
    expect(() => createWebhookSender({ smsWebhook: { url: receiver.url, secret: 'short' } })).toThrow(/SMS_WEBHOOK_SECRET/);
  });
});
