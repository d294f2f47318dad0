// SMS through any gateway the operator runs (SMS_PROVIDER=webhook): a signed JSON POST to
// SMS_WEBHOOK_URL. Any 2xx answer is a delivery; anything else, or no answer in time, is a failure.
import { createSecretKey } from 'node:crypto';
import { Agent, request } from 'undici';
import { ConfigError, type Config } from '../config.js';
import type { OutboundMessage, Sender } from '../domain/ports.js';
import { signWebhook } from './webhook-signature.js';

/** Idle keep-alive sockets are kept this long, so a steady trickle of codes skips the handshake. */
const KEEP_ALIVE_MS = 30_000;

/** The JSON the receiver gets (receivers should ignore fields they do not know: more may come). */
export interface WebhookPayload {
  to: string;
  body: string;
  code_length: number;
  purpose: OutboundMessage['purpose'];
  /** The BCP 47 locale the text was rendered in. */
  locale?: string;
}

export function createWebhookSender(config: Pick<Config, 'smsWebhook'>): Sender {
  const { url, secret } = config.smsWebhook;
  if (url === undefined) throw new ConfigError('SMS_WEBHOOK_URL', 'must be set for the webhook sender');
  if (secret === undefined || secret.length < 32) {
    throw new ConfigError('SMS_WEBHOOK_SECRET', 'must be set (at least 32 characters) for the webhook sender');
  }
  const signingKey = createSecretKey(Buffer.from(secret, 'utf8'));
  // A dedicated agent, as for Twilio: undici's request over a keep-alive pool that close() can end.
  const agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS });

  return {
    name: 'webhook',
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      const payload: WebhookPayload = {
        to: message.to,
        body: message.text,
        code_length: message.codeLength,
        purpose: message.purpose,
        ...(message.locale === undefined ? {} : { locale: message.locale }),
      };
      const body = JSON.stringify(payload);
      // Wall-clock time, not the service's Clock: the receiver checks it against its own clock.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await request(url, {
        dispatcher: agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature-timestamp': timestamp,
          'x-signature': signWebhook(signingKey, timestamp, body),
        },
        body,
        signal,
      });
      // The answer is never read: a receiver's error text may quote the message, code included.
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new Error(`SMS webhook answered HTTP ${response.statusCode}`);
      }
    },
    async close(): Promise<void> {
      await agent.close();
    },
  };
}
