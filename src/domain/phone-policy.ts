// Where an SMS may go: the countries the operator serves (SMS_ALLOWED_COUNTRIES) and the kinds of
// line a code may be sent to (SMS_REFUSED_NUMBER_TYPES). Both defend against SMS pumping:
// attackers triggering codes to premium-rate, shared-cost or satellite ranges they earn from.
// Checked before anything is counted, stored or sent; verify is not checked (it sends nothing).
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import type { Log, PhoneNumber } from './ports.js';

/**
 * The kinds libphonenumber tells apart (its full metadata), plus NON_GEOGRAPHIC: the global
 * calling codes that belong to no country (+870 Inmarsat, +881 satellite phones, +882/+883
 * international networks), which libphonenumber calls MOBILE or VOIP but which are billed like
 * satellite calls. MOBILE and FIXED_LINE_OR_MOBILE cannot be refused: codes are meant for them.
 */
export const REFUSABLE_NUMBER_TYPES = [
  'PREMIUM_RATE',
  'SHARED_COST',
  'TOLL_FREE',
  'UAN',
  'PAGER',
  'VOICEMAIL',
  'FIXED_LINE',
  'PERSONAL_NUMBER',
  'VOIP',
  'NON_GEOGRAPHIC',
] as const;
export type RefusableNumberType = (typeof REFUSABLE_NUMBER_TYPES)[number];

const DESCRIPTIONS: Record<RefusableNumberType, string> = {
  PREMIUM_RATE: 'premium-rate numbers',
  SHARED_COST: 'shared-cost numbers',
  TOLL_FREE: 'toll-free numbers',
  UAN: 'universal access numbers',
  PAGER: 'pagers',
  VOICEMAIL: 'voicemail numbers',
  FIXED_LINE: 'landlines',
  PERSONAL_NUMBER: 'personal numbering services',
  VOIP: 'VoIP numbers',
  NON_GEOGRAPHIC: 'satellite and international network numbers',
};

/** A number's region (undefined: a global calling code) and libphonenumber type (undefined: none fits). */
export interface NumberKind {
  country: string | undefined;
  type: string | undefined;
}
export type NumberKindOf = (e164: string) => NumberKind;

/** The region from the default metadata, which identity parsing has loaded anyway; no type. */
const regionOnly: NumberKindOf = (e164) => ({ country: parsePhoneNumberFromString(e164)?.country, type: undefined });

export interface PhonePolicySettings {
  /** ISO 3166 alpha-2 regions SMS may go to; empty: every country. */
  allowedCountries: readonly string[];
  /** Empty: every kind of number passes (and the full metadata is never loaded). */
  refusedNumberTypes: readonly RefusableNumberType[];
}

export interface PhonePolicy {
  /** Throws COUNTRY_NOT_ALLOWED or INVALID_PHONE for a destination no code may go to; null (email) passes. */
  check(phone: PhoneNumber | null): void;
}

/** @param kindOf from number-types.ts (the full metadata); needed when number types are refused. */
export function createPhonePolicy(settings: PhonePolicySettings, log: Log, kindOf?: NumberKindOf): PhonePolicy {
  const allowed = new Set(settings.allowedCountries);
  const refused = new Set<string>(settings.refusedNumberTypes);
  if (refused.size > 0 && kindOf === undefined) throw new Error('refusing number types needs the full phone metadata');

  function refuse(code: 'COUNTRY_NOT_ALLOWED' | 'INVALID_PHONE', reason: Record<string, unknown>, message?: string): never {
    // The calling code and kind, never the number: no full phone number reaches a log.
    log.info(reason, 'SMS destination refused');
    throw new AppError(code, { message });
  }

  return {
    check(phone) {
      if (phone === null || (allowed.size === 0 && refused.size === 0)) return;
      // One parse per check: the full metadata's when it is loaded, else the default's.
      const { country, type: lineType } = (kindOf ?? regionOnly)(phone.e164);
      if (allowed.size > 0 && (country === undefined || !allowed.has(country))) {
        refuse('COUNTRY_NOT_ALLOWED', { callingCode: phone.countryCode, country: country ?? null });
      }
      if (refused.size === 0) return;
      const type = country === undefined ? 'NON_GEOGRAPHIC' : lineType;
      // Fail closed: a number the full metadata cannot place in any range is not sent to.
      if (type === undefined) {
        refuse('INVALID_PHONE', { callingCode: phone.countryCode, type: null }, 'This phone number cannot receive codes by SMS. Please use a mobile number.');
      }
      if (refused.has(type)) {
        const kind = DESCRIPTIONS[type as RefusableNumberType];
        refuse('INVALID_PHONE', { callingCode: phone.countryCode, type }, `Codes cannot be sent to ${kind}. Please use a mobile number.`);
      }
    },
  };
}
