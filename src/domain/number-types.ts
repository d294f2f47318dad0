// The kind of line a number is, from libphonenumber's full ("max") metadata. The default
// metadata that identifiers.ts parses with cannot tell a mobile from a premium-rate number, so
// this module is loaded only when SMS_REFUSED_NUMBER_TYPES is on (compose.ts imports it lazily)
// and is used for nothing else. Measured cost: see README, "SMS destinations".
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { NumberKindOf } from './phone-policy.js';

export const numberKindOf: NumberKindOf = (e164) => {
  const parsed = parsePhoneNumberFromString(e164);
  return { country: parsed?.country, type: parsed?.getType() };
};
