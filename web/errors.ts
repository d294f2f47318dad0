// What the page says for each error code the API answers, and what it offers to do next.
import type { Answer } from './api.js';

export type Offer = 'register' | 'login' | 'resend' | undefined;

export interface Explained {
  text: string;
  offer: Offer;
}

/** The page's own words where they help; the server's message (attempts left, seconds to wait) where it is already right. */
const WORDS: Record<string, Explained> = {
  ACCOUNT_NOT_FOUND: { text: 'There is no account with this yet.', offer: 'register' },
  ALREADY_REGISTERED: { text: 'You already have an account with this.', offer: 'login' },
  ACCOUNT_INACTIVE: { text: 'Your account is not active. Please contact support.', offer: undefined },
  OTP_EXPIRED: { text: 'That code has expired.', offer: 'resend' },
  OTP_NOT_FOUND: { text: 'That code is no longer valid.', offer: 'resend' },
  OTP_ATTEMPTS_EXCEEDED: { text: 'Too many wrong codes.', offer: 'resend' },
  INVALID_PHONE: { text: 'That phone number does not look right. Check the country and the number.', offer: undefined },
  INVALID_EMAIL: { text: 'That email address does not look right.', offer: undefined },
  COUNTRY_NOT_ALLOWED: { text: 'We cannot send codes to phone numbers in this country. Try email instead.', offer: undefined },
  RATE_LIMITED: { text: 'Too many requests from this device.', offer: undefined },
  OTP_SEND_LIMIT: { text: 'Too many codes were sent to this recently.', offer: undefined },
  IDENTIFIER_LOCKED: { text: 'Sign-in for this is paused after too many attempts.', offer: undefined },
  SMS_BUDGET_EXHAUSTED: { text: 'We cannot send text messages right now. Try email instead.', offer: undefined },
  SMS_COUNTRY_THROTTLED: { text: 'Text messages to this country are paused for a while. Try email instead.', offer: undefined },
  DELIVERY_FAILED: { text: 'We could not send the code right now. Please try again shortly.', offer: undefined },
  USERNAME_TAKEN: { text: 'That username is already taken.', offer: undefined },
  REFRESH_TOKEN_INVALID: { text: 'Your session has ended. Please sign in again.', offer: undefined },
  REFRESH_TOKEN_REUSED: { text: 'Your session was ended for safety. Please sign in again.', offer: undefined },
};

function wait(seconds: number | undefined): string {
  if (seconds === undefined) return 'Please try again later.';
  return seconds < 120 ? `Try again in ${seconds} seconds.` : `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

export function explain(answer: Answer): Explained {
  const known = answer.code === undefined ? undefined : WORDS[answer.code];
  // The server says how many attempts are left and how long a cooldown lasts: its words are the clearest.
  if (answer.code === 'OTP_INVALID' || answer.code === 'OTP_COOLDOWN') return { text: answer.message, offer: undefined };
  if (known === undefined) return { text: answer.message || 'Something went wrong. Please try again.', offer: undefined };
  if (answer.status === 429 && known.offer !== 'resend') return { text: `${known.text} ${wait(answer.retryAfterSeconds)}`, offer: known.offer };
  return known;
}
