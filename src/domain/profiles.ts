// Registration profiles come from whoever proves possession of the identifier. The fields a
// request carries are bound to the code issued with it (a new request replaces them, never
// merges); the verify may carry the same fields, and those win. A field nobody sent on the verify
// never refuses a correct code: if it can no longer be applied it is dropped, and the answer says so.
import { AppError, ERRORS } from '../errors.js';
import { normaliseEmail, parsePhone } from './identifiers.js';
import type { Challenge, Channel, Customer, PhoneNumber, RegistrationProfile, Store } from './ports.js';

export interface ProfileInput {
  name?: string | undefined;
  username?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
}

/** A profile field left off the new account, and why (a code and message from the catalogue). */
export interface ProfileWarning {
  field: 'username' | 'email' | 'phone';
  code: 'USERNAME_TAKEN' | 'ALREADY_REGISTERED';
  message: string;
}

export interface Registered {
  customer: Customer;
  /** Empty unless a field stored with the code had to be dropped. */
  warnings: ProfileWarning[];
}

// Characters that reorder the text around them (they can make "Asha" display as someone else's
// name): the embeddings and overrides, the isolates, the marks LRM/RLM and the Arabic letter mark.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
// What is left of a name once every space and zero-width character is removed must not be empty.
const INVISIBLE = /[\s\u200B-\u200D\u2060\uFEFF]/gu;

/**
 * Reads the profile fields a body carries for a registration on `channel`. Only the fields sent
 * (and meaningful for that channel) are present in the result: a verify overrides exactly those.
 */
export function readProfile(
  channel: Channel,
  input: ProfileInput | undefined,
  phoneCountry: { countryCode: string | undefined; defaultCountry: string | undefined },
): Partial<RegistrationProfile> {
  const profile: Partial<RegistrationProfile> = {};
  if (input?.name !== undefined) profile.name = readName(input.name);
  if (input?.username !== undefined) profile.username = input.username;
  // The other identifier is only a claim until verified: it never signs anyone in.
  if (channel === 'phone' && input?.email !== undefined) profile.email = normaliseEmail(input.email);
  if (channel === 'email' && input?.phone !== undefined) {
    profile.phone = parsePhone({ number: input.phone, ...phoneCountry }) ?? failPhone();
  }
  return profile;
}

/** The profile stored with a new code: exactly what its request carried, nothing kept from before. */
export function completeProfile(sent: Partial<RegistrationProfile>): RegistrationProfile {
  return { name: null, username: null, email: null, phone: null, ...sent };
}

function readName(raw: string): string {
  if (BIDI_CONTROLS.test(raw)) invalidName('must not contain bidirectional control characters');
  if (raw.replace(INVISIBLE, '') === '') invalidName('must contain a visible character');
  return raw.trim();
}

function invalidName(reason: string): never {
  throw new AppError('VALIDATION_ERROR', { message: `The request is invalid: name ${reason}` });
}

function failPhone(): never {
  throw new AppError('INVALID_PHONE', { message: 'Include the country code of the phone: country_code or a number starting with +' });
}

export function createRegistrations(deps: { store: Store; maxAttempts: number }) {
  const { store, maxAttempts } = deps;

  /**
   * Consumes the registration code and creates the account from the profile stored with that code,
   * overridden field by field by what the verify sent. A username sent on the verify that is taken
   * answers USERNAME_TAKEN and leaves the code unused (the transaction rolls back), so the customer
   * can retry with another; a stored one is dropped instead.
   */
  async function createAccount(challenge: Challenge, sent: Partial<RegistrationProfile>, nowMs: number): Promise<Registered> {
    const { profile, warnings } = await withoutTakenClaims({ ...challenge.profile, ...sent });
    try {
      return { customer: await register(challenge, profile, nowMs), warnings };
    } catch (error) {
      // The unique index is the arbiter: the stored username may have been taken since the request.
      const storedUsernameTaken = error instanceof AppError && error.code === 'USERNAME_TAKEN' && sent.username === undefined;
      if (!storedUsernameTaken || profile.username === null) throw error;
      const customer = await register(challenge, { ...profile, username: null }, nowMs);
      return { customer, warnings: [...warnings, warning('username', 'USERNAME_TAKEN')] };
    }
  }

  /** An email or phone claim that is now someone's verified identifier is left off: it could never be verified. */
  async function withoutTakenClaims(profile: RegistrationProfile): Promise<{ profile: RegistrationProfile; warnings: ProfileWarning[] }> {
    const [emailTaken, phoneTaken] = await Promise.all([
      profile.email === null ? false : store.findCustomerByIdentifier('email', profile.email).then((owner) => owner !== undefined),
      profile.phone === null ? false : store.findCustomerByIdentifier('phone', profile.phone.e164).then((owner) => owner !== undefined),
    ]);
    const warnings: ProfileWarning[] = [];
    if (emailTaken) warnings.push(warning('email', 'ALREADY_REGISTERED'));
    if (phoneTaken) warnings.push(warning('phone', 'ALREADY_REGISTERED'));
    return {
      profile: { ...profile, email: emailTaken ? null : profile.email, phone: phoneTaken ? null : profile.phone },
      warnings,
    };
  }

  async function register(challenge: Challenge, profile: RegistrationProfile, nowMs: number): Promise<Customer> {
    const consume = { key: challenge, codeHash: challenge.codeHash, maxAttempts, nowMs };
    const customer = await store.registerCustomer(consume, {
      email: challenge.channel === 'email' ? challenge.identifier : profile.email,
      emailValidated: challenge.channel === 'email',
      phone: challenge.channel === 'phone' ? phoneOf(challenge) : profile.phone,
      phoneValidated: challenge.channel === 'phone',
      name: profile.name,
      username: profile.username,
    });
    // Undefined: a parallel verify of the same code won the consume and made the account.
    if (customer === undefined) throw new AppError('OTP_NOT_FOUND');
    return customer;
  }

  return { createAccount };
}

const WARNING_MESSAGES: Record<ProfileWarning['field'], string> = {
  username: ERRORS.USERNAME_TAKEN.message,
  email: 'This email address is already verified by another account; it was not added',
  phone: 'This phone number is already verified by another account; it was not added',
};

function warning(field: ProfileWarning['field'], code: ProfileWarning['code']): ProfileWarning {
  return { field, code, message: WARNING_MESSAGES[field] };
}

/** The verified phone of a phone challenge; E.164 is "+" calling code and national number. */
function phoneOf(challenge: Challenge): PhoneNumber {
  const countryCode = challenge.identifier.slice(0, challenge.identifier.length - (challenge.phoneNational ?? '').length);
  return { e164: challenge.identifier, national: challenge.phoneNational ?? '', countryCode };
}
