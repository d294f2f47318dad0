// Twilio's delivery receipts (status callbacks), read as Twilio documents them:
// https://www.twilio.com/docs/usage/security#validating-requests - X-Twilio-Signature is the
// base64 HMAC-SHA1, keyed by the account's auth token, of the full callback URL followed by every
// POST parameter's name and value, sorted by name. Compared in constant time.
// https://www.twilio.com/docs/messaging/guides/track-outbound-message-status - MessageStatus,
// ErrorCode, To. The message body is never read, stored or logged.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Logger } from 'pino';
import type { DeliveryStats, Receipt, ReceiptStatus } from './delivery-stats.js';

export type FormPairs = ReadonlyArray<readonly [string, string]>;

export function twilioSignature(authToken: string, url: string, params: FormPairs): string {
  // By name, then by value for a repeated name (as Twilio's own helpers do).
  const sorted = [...params].sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB));
  const hmac = createHmac('sha1', authToken).update(url, 'utf8');
  for (const [name, value] of sorted) hmac.update(name + value, 'utf8');
  return hmac.digest('base64');
}

export function isValidTwilioSignature(authToken: string, url: string, params: FormPairs, signature: string | undefined): boolean {
  if (signature === undefined || signature === '') return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params), 'utf8');
  const actual = Buffer.from(signature, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const COUNTED: ReadonlySet<string> = new Set<ReceiptStatus>(['delivered', 'undelivered', 'failed']);

/** The final fate of a message, or undefined for an intermediate status (queued, sent...). */
export function readReceipt(params: URLSearchParams): Receipt | undefined {
  const status = params.get('MessageStatus') ?? params.get('SmsStatus');
  if (status === null || !COUNTED.has(status)) return undefined;
  const to = params.get('To') ?? '';
  const callingCode = parsePhoneNumberFromString(to)?.countryCallingCode ?? 'unknown';
  const errorCode = status === 'delivered' ? null : (params.get('ErrorCode')?.match(/^\d{1,6}$/)?.[0] ?? null);
  return { status: status as ReceiptStatus, callingCode, errorCode };
}

/** Counts a receipt and logs it: status, calling code, Twilio error code, message SID; never the number or body. */
export function receiptRecorder(stats: DeliveryStats, logger: Logger) {
  const log = logger.child({ provider: 'twilio', channel: 'phone' });
  return (receipt: Receipt, messageSid: string | null): void => {
    stats.countReceipt(receipt);
    const fields = { status: receipt.status, calling_code: receipt.callingCode, error_code: receipt.errorCode, message_sid: messageSid };
    if (receipt.status === 'delivered') log.info(fields, 'SMS delivery receipt');
    else log.warn(fields, 'SMS delivery receipt');
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
