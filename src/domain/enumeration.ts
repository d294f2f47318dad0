// Enumeration protection (ENUMERATION_PROTECTION=true): login and register answer an identifier in
// the wrong state (unknown on login, known on register, inactive) exactly like one in the right
// state. The request goes through the same steps (limits, a code made, hashed and stored) but the
// code is sent to nobody: a decoy. Delivery itself runs after the answer in this mode for every
// request, so provider latency cannot tell the two apart (the cost: DELIVERY_FAILED is never
// answered; a failed send is logged and refunded, and the customer asks again). The verify that
// follows fails with the generic OTP_INVALID, whatever the reason.
import { AppError } from '../errors.js';

/** The errors a verify may answer only as a generic OTP_INVALID in this mode. */
const CONCEALED = new Set(['OTP_NOT_FOUND', 'OTP_INVALID', 'ACCOUNT_NOT_FOUND', 'ACCOUNT_INACTIVE']);

export function createEnumerationProtection(enabled: boolean) {
  return {
    enabled,
    /** Throws the account-state refusal, unless it is concealed: then true (send to nobody). */
    decoy(refusal: AppError | undefined): boolean {
      if (refusal === undefined) return false;
      if (!enabled) throw refusal;
      return true;
    },
    /** Rethrows a verify's error, generic when it could tell account states apart. */
    conceal(error: unknown): never {
      if (enabled && error instanceof AppError && CONCEALED.has(error.code)) throw new AppError('OTP_INVALID');
      throw error;
    },
  };
}

export type EnumerationProtection = ReturnType<typeof createEnumerationProtection>;
