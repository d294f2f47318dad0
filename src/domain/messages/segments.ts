// How an SMS travels: GSM-7 (with its extension table, whose characters take two septets) or
// UCS-2, and in how many segments (160/153 GSM-7 characters or 70/67 UCS-2 code units). Counted
// by Twilio's own calculator (sms-segments-calculator), the arithmetic the invoice follows.
import { SegmentedMessage } from 'sms-segments-calculator';

export interface SmsSize {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** The length as the encoding counts it: GSM-7 septets (an extension-table character is 2) or UCS-2 (UTF-16) units. */
  units: number;
}

export function measureSms(text: string): SmsSize {
  const message = new SegmentedMessage(text, 'auto', false);
  const units = message.encodingName === 'GSM-7' ? message.numberOfCharacters : text.length;
  return { encoding: message.encodingName, segments: message.segmentsCount, units };
}
