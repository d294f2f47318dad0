// What the story did, told to the Events port without touching the story itself: the senders and
// the challenge service are wrapped, so challenges.ts stays the short tale of request and verify.
// No code, token or full identifier is passed on: a destination is a calling code, never a number.
import { getCountries, getCountryCallingCode } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import type { ChallengeService } from './challenges.js';
import type { Channel, Delivery, Events, Sender, Senders, VerificationOutcome } from './ports.js';

/** Calling codes are prefix-free, so the first one that matches a prefix of an E.164 number is its code. */
const CALLING_CODES = new Set(getCountries().map((country) => getCountryCallingCode(country)));

/** "+919876543210" -> "+91"; a bounded label, never the number. */
export function callingCodeOf(e164: string): string {
  if (!e164.startsWith('+')) return 'unknown';
  for (let length = 1; length <= 3; length++) {
    const prefix = e164.slice(1, 1 + length);
    if (CALLING_CODES.has(prefix)) return `+${prefix}`;
  }
  return 'unknown';
}

function observeSender(sender: Sender, channel: Channel, events: Events): Sender {
  return {
    name: sender.name,
    async send(message, signal) {
      const delivery: Delivery = { channel, provider: sender.name, destination: channel === 'email' ? 'email' : callingCodeOf(message.to) };
      events.codeRequested(delivery);
      try {
        await sender.send(message, signal);
      } catch (error) {
        events.codeFailed(delivery);
        throw error;
      }
      events.codeDelivered(delivery);
    },
    ...(sender.close === undefined ? {} : { close: () => sender.close!() }),
  };
}

/** Every message a sender carries is counted as requested, then delivered or failed. */
export function observeSenders(senders: Senders, events: Events): Senders {
  return { phone: observeSender(senders.phone, 'phone', events), email: observeSender(senders.email, 'email', events) };
}

const OUTCOMES: Partial<Record<string, VerificationOutcome>> = {
  OTP_INVALID: 'invalid',
  OTP_EXPIRED: 'expired',
  OTP_ATTEMPTS_EXCEEDED: 'attempts_exceeded',
  OTP_NOT_FOUND: 'not_found',
};

/** Where a verify that failed says it was going: a known calling code, or "unknown" (bounded either way). */
function claimedDestination(input: { channel: Channel; identifier: string; countryCode?: string | undefined }): string {
  if (input.channel === 'email') return 'email';
  const code = input.countryCode?.trim().replace(/^\+/, '');
  if (code !== undefined) return CALLING_CODES.has(code) ? `+${code}` : 'unknown';
  return callingCodeOf(input.identifier.trim().replace(/[^\d+]/g, ''));
}

/** Verifies are counted by outcome; a success is also a registration or a login. */
export function observeChallenges(service: ChallengeService, events: Events): ChallengeService {
  return {
    ...service,
    async verifyCode(verification) {
      const { channel, purpose } = verification;
      let signedIn;
      try {
        signedIn = await service.verifyCode(verification);
      } catch (error) {
        const outcome = error instanceof AppError ? OUTCOMES[error.code] : undefined;
        if (outcome !== undefined) events.verification(outcome, { channel, purpose, destination: claimedDestination(verification) });
        throw error;
      }
      const destination = channel === 'email' ? 'email' : (signedIn.customer.countryCode ?? 'unknown');
      events.verification('success', { channel, purpose, destination });
      const done = { channel: verification.channel, customerId: signedIn.customer.id };
      if (verification.purpose === 'register') events.registration(done);
      else events.login(done);
      return signedIn;
    },
  };
}
