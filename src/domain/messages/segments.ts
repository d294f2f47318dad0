// How an SMS travels: GSM-7 (with its extension table, whose characters take two septets) or
// UCS-2, and in how many segments (160/153 GSM-7 characters or 70/67 UCS-2 code units). Counted
// by Twilio's own calculator (sms-segments-calculator), the arithmetic the invoice follows.
import { SegmentedMessage } from 'sms-segments-calculator';

export interface SmsSize {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Characters as the encoding counts them (an extension-table character counts 2). */
  units: number;
}

export function measureSms(text: string): SmsSize {
  const message = new SegmentedMessage(text, 'auto', false);
  return { encoding: message.encodingName, segments: message.segmentsCount, units: message.numberOfCharacters };
}
