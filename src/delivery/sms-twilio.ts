// SMS through Twilio's Messages REST API (SMS_PROVIDER=twilio).
// https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
import { Agent, request, type Dispatcher } from 'undici';
import { ConfigError, type Config } from '../config.js';
import type { OutboundMessage, Sender } from '../domain/ports.js';

/** Idle keep-alive sockets are kept this long, so a steady trickle of codes skips the TLS handshake. */
const KEEP_ALIVE_MS = 30_000;
/** An error answer is a small JSON object; anything longer is not read into memory. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

export function createTwilioSender(config: Pick<Config, 'twilio'>): Sender {
  const { apiBaseUrl, accountSid, authToken, from, messagingServiceSid, statusCallbackUrl } = config.twilio;
  if (accountSid === undefined) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be set for the twilio sender');
  if (authToken === undefined) throw new ConfigError('TWILIO_AUTH_TOKEN', 'must be set for the twilio sender');
  if (from === undefined && messagingServiceSid === undefined) {
    throw new ConfigError('TWILIO_FROM', 'or TWILIO_MESSAGING_SERVICE_SID must be set for the twilio sender');
  }

  const endpoint = `${apiBaseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  // A dedicated agent, not global fetch: undici's request is measurably faster, and close() can end it.
  const agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS });

  return {
    name: 'twilio',
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      const form = new URLSearchParams({ To: message.to, Body: message.text });
      // A messaging service picks the sender number itself; Twilio wants one or the other.
      if (messagingServiceSid !== undefined) form.set('MessagingServiceSid', messagingServiceSid);
      else if (from !== undefined) form.set('From', from);
      // Delivery receipts: Twilio posts each status change there (src/http/routes/webhooks.ts).
      if (statusCallbackUrl !== undefined) form.set('StatusCallback', statusCallbackUrl);

      const response = await request(endpoint, {
        dispatcher: agent,
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal,
      });
      if (response.statusCode >= 200 && response.statusCode < 300) {
        // The answer echoes the body (the code): never parsed, never logged, only drained so the
        // socket goes back to the pool.
        await response.body.dump();
        return;
      }
      const errorCode = await readTwilioErrorCode(response.body);
      // Status and Twilio's numeric code only: Twilio's message text may quote what was sent.
      throw new Error(
        `Twilio answered HTTP ${response.statusCode}${errorCode === undefined ? '' : ` with error code ${errorCode}`}`,
      );
    },
    async close(): Promise<void> {
      await agent.close();
    },
  };
}

async function readTwilioErrorCode(body: Dispatcher.ResponseData['body']): Promise<number | undefined> {
  const chunks: Buffer[] = [];
  let sizeBytes = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer; // undici's body stream yields Buffers
    sizeBytes += bytes.length;
    // Leaving the loop destroys the stream (and that one socket) rather than reading it all.
    if (sizeBytes > MAX_ERROR_BODY_BYTES) return undefined;
    chunks.push(bytes);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'code' in parsed && typeof parsed.code === 'number') {
      return parsed.code;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone must do.
  }
  return undefined;
}
