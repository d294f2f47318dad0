// Test identifiers (TEST_OTP_NUMBERS): fixed codes for client apps' end-to-end tests and app-store
// review. Such an identifier is never sent anything and is exempt from send caps and SMS budgets,
// but not from the per-code attempt limit or the failure budget (guessing stays bounded).
import { AppError } from '../errors.js';
import { normaliseEmail, parsePhone } from './identifiers.js';

/** Identifier (E.164 or lower-cased email) -> its fixed code. */
export type TestIdentifiers = ReadonlyMap<string, string>;

/**
 * Parses "+919999900001=123456,qa@example.com=000000" (phones in any spelling with their "+"
 * country code). Throws an Error saying which entry is wrong; src/config.ts names the variable.
 */
export function parseTestIdentifiers(text: string, otpLength: number): TestIdentifiers {
  const entries = new Map<string, string>();
  for (const part of text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const at = part.lastIndexOf('=');
    const identifier = part.slice(0, at).trim();
    const code = part.slice(at + 1).trim();
    if (at < 1 || !new RegExp(`^\\d{${otpLength}}$`).test(code)) {
      throw new Error(`entries must be identifier=code with a ${otpLength}-digit code, got "${part}"`);
    }
    entries.set(normalised(identifier, part), code);
  }
  return entries;
}

function normalised(identifier: string, entry: string): string {
  try {
    if (identifier.includes('@')) return normaliseEmail(identifier);
    const phone = parsePhone({ number: identifier });
    if (phone !== undefined) return phone.e164;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
  }
  throw new Error(`has an identifier that is neither an email nor a phone number with its +country code: "${entry}"`);
}
