// Which pending code a verify is about, and whether its code is right. A phone verify may come
// without country code although the request had one (the spec's own example): then every live
// code for those national digits is a candidate, in whatever country. The code is checked against
// each; a wrong guess counts against every one, so no candidate ever takes more than its attempts.
// A candidate may hold two live codes (resend.ts): either proves it.
import { AppError } from '../errors.js';
import { nationalCandidates, normaliseEmail, parsePhone } from './identifiers.js';
import type { CodeHasher } from './otp.js';
import { provenCodeHash } from './resend.js';
import type { Challenge, Purpose, Store } from './ports.js';
import type { IdentifierInput } from './challenges.js';

/**
 * More live codes than this for one set of national digits answer as no match: checking a guess
 * against each must stay cheap, and the customer can always say which country they meant.
 */
export const MAX_CANDIDATES = 5;

export interface CandidateDeps {
  store: Store;
  hasher: CodeHasher;
  settings: { otpMaxAttempts: number; defaultCountry: string | undefined };
}

/** The abuse limits a verify passes through (limits.ts): before any code is compared, and per counted wrong guess. */
export interface VerifyGuards {
  /** The per-address verify limit and the candidates' locks, in one decision; throws when refused. */
  beforeCheck(identifiers: string[]): Promise<void>;
  /** Spends the identifier's failure budget; throws IDENTIFIER_LOCKED when that was the last of it. */
  afterWrongGuess(identifier: string): Promise<void>;
}

export function createCodeChecks(deps: CandidateDeps) {
  const { store, hasher, settings } = deps;
  const max = settings.otpMaxAttempts;

  /** Every pending code the verify may be about (at most one unless phone digits without country). */
  async function candidatesFor(input: IdentifierInput, purpose: Purpose): Promise<Challenge[]> {
    if (input.channel === 'email') return present(await store.findChallenge(normaliseEmail(input.identifier), purpose));
    const explicit = parsePhone({ number: input.identifier, countryCode: input.countryCode });
    if (explicit !== undefined) return present(await store.findChallenge(explicit.e164, purpose));

    const pending = await store.findPhoneChallengesByNational(nationalCandidates(input.identifier), purpose);
    // DEFAULT_COUNTRY adds the number as read in that country (whose national form may be spelled
    // differently), but decides nothing: it is one more candidate.
    const local = localNumber(input.identifier);
    if (local === undefined || pending.some((challenge) => challenge.identifier === local)) return pending;
    return [...pending, ...present(await store.findChallenge(local, purpose))];
  }

  function localNumber(number: string): string | undefined {
    if (settings.defaultCountry === undefined) return undefined;
    try {
      return parsePhone({ number, defaultCountry: settings.defaultCountry })?.e164;
    } catch {
      // Not a number in the default country: it may still be one elsewhere.
      return undefined;
    }
  }

  /**
   * Returns the pending code that `otp` proves, or throws: OTP_NOT_FOUND, OTP_ATTEMPTS_EXCEEDED,
   * OTP_EXPIRED, or OTP_INVALID after counting the wrong guess against every candidate.
   */
  async function check(input: IdentifierInput, purpose: Purpose, otp: string, nowMs: number, guards: VerifyGuards): Promise<Challenge> {
    const found = await candidatesFor(input, purpose);
    await guards.beforeCheck(found.slice(0, MAX_CANDIDATES + 1).map((challenge) => challenge.identifier));
    if (found.length === 0) throw new AppError('OTP_NOT_FOUND');
    const open = found.filter((challenge) => challenge.attempts < max);
    if (open.length === 0) throw new AppError('OTP_ATTEMPTS_EXCEEDED');
    const live = open.filter((challenge) => challenge.expiresAtMs > nowMs);
    if (live.length === 0) throw new AppError('OTP_EXPIRED');
    if (live.length > MAX_CANDIDATES) throw new AppError('OTP_NOT_FOUND');

    for (const challenge of live) {
      // The code proven (current or previous) is the one the consume must name.
      const codeHash = provenCodeHash(hasher, challenge, otp, nowMs);
      if (codeHash !== undefined) return { ...challenge, codeHash };
    }

    // The guarded increments are the arbiters: of parallel wrong guesses at most `max` count on each.
    const counts = await Promise.all(live.map((challenge) => store.countFailedAttempt(challenge, challenge.codeHash, max)));
    // Every counted wrong guess spends that identifier's failure budget too, whichever code it was for.
    for (const [index, attempts] of counts.entries()) if (attempts !== undefined) await guards.afterWrongGuess(live[index]!.identifier);
    const used = counts.filter((attempts): attempts is number => attempts !== undefined && attempts < max);
    if (used.length === 0) throw new AppError('OTP_ATTEMPTS_EXCEEDED');
    // With several candidates the guesser's own code is the one with the most tries left.
    const left = max - Math.min(...used);
    throw new AppError('OTP_INVALID', { message: `Invalid OTP. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.` });
  }

  return { check };
}

function present(challenge: Challenge | undefined): Challenge[] {
  return challenge === undefined ? [] : [challenge];
}
