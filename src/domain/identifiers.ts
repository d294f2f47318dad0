// Phone and email normalisation: every spelling of one number or address becomes one identifier.
import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import type { PhoneNumber } from './ports.js';

export interface PhoneInput {
  /** "+919876543210", or a national number with or without trunk 0, spaces, dashes, brackets. */
  number: string;
  /** "+91" or "91". */
  countryCode?: string | undefined;
  defaultCountry?: string | undefined;
}

const PHONE_CHARS = /^[+\d\s\-().]{4,32}$/;

/** Parses to E.164, or returns undefined when no country can be told (national number, nothing else). */
export function parsePhone(input: PhoneInput): PhoneNumber | undefined {
  const raw = input.number.trim();
  if (!PHONE_CHARS.test(raw)) throw new AppError('INVALID_PHONE');
  const digits = raw.replace(/\D/g, '');
  let text: string;
  let region: CountryCode | undefined;
  if (raw.startsWith('+')) {
    text = raw;
  } else if (input.countryCode !== undefined) {
    const callingCode = input.countryCode.trim().replace(/^\+/, '');
    if (!/^\d{1,4}$/.test(callingCode)) throw new AppError('INVALID_PHONE', { message: 'The country code is not valid' });
    // A national number written with its trunk 0 ("09876 543210") is still the same number.
    text = `+${callingCode}${stripTrunkZero(callingCode, digits)}`;
  } else if (input.defaultCountry !== undefined) {
    text = raw;
    region = input.defaultCountry as CountryCode;
  } else {
    return undefined;
  }
  try {
    const phone = parsePhoneNumberWithError(text, region);
    if (!phone.isValid()) throw new AppError('INVALID_PHONE');
    return { e164: phone.number, national: phone.nationalNumber, countryCode: `+${phone.countryCallingCode}` };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('INVALID_PHONE');
  }
}

// Italy (39) and a few others keep the leading 0 as part of the national number; libphonenumber
// knows which, so only strip it where parsing without it gives a valid number.
function stripTrunkZero(callingCode: string, digits: string): string {
  if (!digits.startsWith('0')) return digits;
  try {
    const withZero = parsePhoneNumberWithError(`+${callingCode}${digits}`);
    if (withZero.isValid()) return digits;
  } catch {
    // fall through to the stripped form
  }
  return digits.replace(/^0+/, '');
}

/** The national spellings a verify without country code may match (with and without trunk zeros). */
export function nationalCandidates(number: string): string[] {
  const digits = number.replace(/\D/g, '');
  const stripped = digits.replace(/^0+/, '');
  return digits === stripped ? [digits] : [digits, stripped];
}

// The WHATWG "valid email address" grammar, the one browsers use for <input type=email>.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new AppError('INVALID_EMAIL');
  return email;
}
