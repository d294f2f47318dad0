// Email through any SMTP relay with nodemailer (EMAIL_PROVIDER=smtp).
import { createTransport } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { ConfigError, type Config } from '../config.js';
import type { OutboundMessage, Sender } from '../domain/ports.js';
import { htmlDocument } from './email-html.js';

/** Parallel SMTP sessions; more queue inside nodemailer. */
const MAX_CONNECTIONS = 5;

export function createSmtpSender(config: Pick<Config, 'smtp' | 'deliveryTimeoutMs'>): Sender {
  const { url, from } = config.smtp;
  if (url === undefined) throw new ConfigError('SMTP_URL', 'must be set for the smtp sender');
  if (from === undefined) throw new ConfigError('EMAIL_FROM', 'must be set for the smtp sender');

  // The pool is built here rather than by createTransport(url, { pool: true }): with a URL,
  // createTransport takes its transport options from the URL alone and the second argument only
  // sets message defaults, so that spelling silently opens a new connection per message.
  const transport = createTransport(
    new SMTPPool({
      url,
      pool: true,
      maxConnections: MAX_CONNECTIONS,
      // Bounds a stuck session after the caller gave up on it (nodemailer cannot be aborted).
      connectionTimeout: config.deliveryTimeoutMs,
      greetingTimeout: config.deliveryTimeoutMs,
      socketTimeout: config.deliveryTimeoutMs,
    }),
  );

  return {
    name: 'smtp',
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      // Text and HTML travel together (multipart/alternative): the client shows the one it can.
      const html = message.html === undefined ? undefined : htmlDocument({ locale: message.locale ?? 'en', subject: message.subject ?? '', body: message.html });
      const sending = transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html });
      try {
        await untilAborted(sending, signal);
      } catch (error) {
        if (signal.aborted && error === signal.reason) throw error;
        throw describeSmtpError(error);
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}

/** Settles with `work`, or rejects with the abort reason as soon as the signal fires. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // The abandoned send still settles later (socketTimeout bounds it); these handlers absorb that.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const MAX_REASON_CHARS = 300;

/**
 * A new error from nodemailer's code, command and the server's reply line only; nodemailer's own
 * error object is not passed on as a cause, so nothing of the message can ride along into a log.
 */
function describeSmtpError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('SMTP delivery failed');
  const { code, command } = error as Error & { code?: unknown; command?: unknown };
  const where = [typeof code === 'string' ? code : undefined, typeof command === 'string' ? `at ${command}` : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
  const reason = (error.message.split(/\r?\n/, 1)[0] ?? '').slice(0, MAX_REASON_CHARS);
  return new Error(`SMTP delivery failed${where === '' ? '' : ` (${where})`}: ${reason}`);
}
