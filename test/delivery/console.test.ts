import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createConsoleSender } from '../../src/delivery/console.js';
import { createSenders } from '../../src/delivery/index.js';
import { otpMessage } from '../support/messages.js';
import { capturedLogger } from '../support/capture.js';

const CODE = '615283';
const SYSTEM_CLOCK = { now: () => Date.now() };

describe('console sender', () => {
  it('logs the whole message, code included, at warn level in development', async () => {
    const log = capturedLogger();
    const sender = createConsoleSender(log.logger, { channel: 'phone', production: false });
    const message = otpMessage({ channel: 'phone', purpose: 'register', code: CODE, ttlMinutes: 10 });

    await sender.send({ to: '+15551230001', ...message }, AbortSignal.timeout(1000));

    expect(log.entries()).toEqual([
      expect.objectContaining({ level: 40, channel: 'phone', to: '+15551230001', text: message.text }),
    ]);
    expect(log.text()).toContain(CODE);
  });

  it('logs the subject of an email in development', async () => {
    const log = capturedLogger();
    const sender = createConsoleSender(log.logger, { channel: 'email', production: false });
    const message = otpMessage({ channel: 'email', purpose: 'login', code: CODE, ttlMinutes: 10 });

    await sender.send({ to: 'customer@example.com', ...message }, AbortSignal.timeout(1000));

    expect(log.entries()[0]).toMatchObject({ channel: 'email', subject: 'Your login code' });
    expect(log.text()).toContain(CODE);
  });

  it('logs only the recipient in production, never the text or the code', async () => {
    const log = capturedLogger();
    const sender = createConsoleSender(log.logger, { channel: 'email', production: true });
    const message = otpMessage({ channel: 'email', purpose: 'login', code: CODE, ttlMinutes: 10 });

    await sender.send({ to: 'customer@example.com', ...message }, AbortSignal.timeout(1000));

    expect(log.entries()).toEqual([expect.objectContaining({ to: 'customer@example.com', msg: expect.stringContaining('delivered to console') })]);
    expect(log.text()).not.toContain(CODE);
    expect(log.text()).not.toContain('login code');
  });
});

describe('createSenders', () => {
  it('uses the console for both channels by default outside production', async () => {
    const senders = await createSenders(loadConfig({}), capturedLogger().logger, SYSTEM_CLOCK);
    expect([senders.phone.name, senders.email.name]).toEqual(['console', 'console']);
  });

  it('picks the configured provider per channel', async () => {
    const senders = await createSenders(
      loadConfig({
        NODE_ENV: 'test',
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
        TWILIO_AUTH_TOKEN: 'x',
        TWILIO_FROM: '+15005550006',
        EMAIL_PROVIDER: 'smtp',
        SMTP_URL: 'smtp://127.0.0.1:2525',
        EMAIL_FROM: 'no-reply@shop.test',
      }),
      capturedLogger().logger,
      SYSTEM_CLOCK,
    );
    expect([senders.phone.name, senders.email.name]).toEqual(['twilio', 'smtp']);
    await Promise.all([senders.phone.close?.(), senders.email.close?.()]);
  });
});
