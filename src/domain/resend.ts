// The resend rule: a new code does not strand the one in flight. The code a resend replaces stays
// valid until its own expiry (only that one: at most two live codes per identifier and purpose),
// either completes the verify, using either ends both, and wrong tries count against one budget
// for the pair, so a resend never buys more guesses. OTP_ACCEPT_PREVIOUS_CODE=false restores
// strict replacement. The store enforces each rule in one statement (see ports.ts).
import type { CodeHasher } from './otp.js';
import type { Challenge, Replacement } from './ports.js';

export interface ResendSettings {
  acceptPreviousCode: boolean;
  otpMaxAttempts: number;
}

/** What saving a new code does to the live one it replaces. */
export function replacement(settings: ResendSettings, nowMs: number): Replacement {
  return { keepPrevious: settings.acceptPreviousCode, nowMs, maxAttempts: settings.otpMaxAttempts };
}

/**
 * The hash of the code `otp` proves (the current code, or the previous one while it lives), or
 * undefined. Both hashes are compared in constant time whatever the first answer.
 */
export function provenCodeHash(hasher: CodeHasher, challenge: Challenge, otp: string, nowMs: number): string | undefined {
  const { previous } = challenge;
  const proves = (codeHash: string) => hasher.matches(codeHash, challenge.purpose, challenge.identifier, otp);
  const current = proves(challenge.codeHash);
  const earlier = previous !== null && proves(previous.codeHash) && previous.expiresAtMs > nowMs;
  if (current) return challenge.codeHash;
  return earlier ? previous.codeHash : undefined;
}
