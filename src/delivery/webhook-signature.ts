// The signature on the SMS webhook (SMS_PROVIDER=webhook): what the service sends, and the check a
// receiver makes. The README's receiver snippet is verifyWebhookSignature below, and the tests'
// receiver uses this very function, so the documented check is the tested one.
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** A signature older (or further in the future) than this is refused: a captured request cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, keyed by SMS_WEBHOOK_SECRET (a KeyObject signs ten times faster on Node 24). */
export function signWebhook(secret: string | KeyObject, timestamp: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export interface WebhookSignatureCheck {
  secret: string;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
  /** The X-Signature-Timestamp header (unix seconds). */
  timestamp: string | undefined;
  /** The X-Signature header. */
  signature: string | undefined;
  /** Default Date.now(). */
  nowMs?: number;
  /** Default WEBHOOK_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
}

export function verifyWebhookSignature(check: WebhookSignatureCheck): boolean {
  const { timestamp, signature } = check;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const ageSeconds = Math.floor((check.nowMs ?? Date.now()) / 1000) - Number(timestamp);
  if (Math.abs(ageSeconds) > (check.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(check.secret, timestamp, check.rawBody));
  const given = Buffer.from(signature);
  // Constant time: the comparison must not tell an attacker how many leading characters were right.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
