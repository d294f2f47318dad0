// The texts customers receive. The domain imports this file, so it depends on nothing but ports.ts.
import type { Channel, OutboundMessage, Purpose } from '../domain/ports.js';

export interface OtpMessageInput {
  channel: Channel;
  purpose: Purpose;
  code: string;
  ttlMinutes: number;
}

/** Everything a sender needs but the recipient. */
export type OtpMessage = Omit<OutboundMessage, 'to'>;

function minutes(count: number): string {
  return count === 1 ? '1 minute' : `${count} minutes`;
}

export function otpMessage(input: OtpMessageInput): OtpMessage {
  const { code, purpose } = input;
  const expiry = `It expires in ${minutes(input.ttlMinutes)}.`;
  const facts = { purpose, codeLength: code.length };
  if (input.channel === 'phone') {
    // One GSM-7 segment (160 characters) even with a 10-digit code and a day-long expiry.
    const label = purpose === 'login' ? 'login code' : 'verification code';
    return { ...facts, text: `Your ${label} is ${code}. ${expiry} Do not share it with anyone.` };
  }
  const label = purpose === 'login' ? 'login code' : 'registration code';
  const askedFor = purpose === 'login' ? 'to sign in' : 'to finish creating your account';
  return {
    ...facts,
    subject: `Your ${label}`,
    text: [
      `Your ${label} is: ${code}`,
      '',
      `Enter it ${askedFor}. ${expiry}`,
      '',
      'Do not share this code with anyone. If you did not ask for it, you can ignore this email.',
      '',
    ].join('\n'),
  };
}
