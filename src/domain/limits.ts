// Every abuse rule, each a check on the one Limiter port; a request's checks are decided together
// in one round trip, all-or-nothing, so a refused request counts against nothing.
import { createHash } from 'node:crypto';
import { tooSoon } from '../errors.js';
import type { Channel, Clock, LimitCheck, LimitRule, Limiter, Log, Purpose } from './ports.js';

export interface LimitSettings {
  /** 0 turns the resend cooldown off. */
  resendCooldownSeconds: number;
  /** Each undefined when off. */
  ipSend: readonly LimitRule[] | undefined;
  ipVerify: readonly LimitRule[] | undefined;
  ipRequest: readonly LimitRule[] | undefined;
  otpSend: readonly LimitRule[] | undefined;
  verifyFailure: readonly LimitRule[] | undefined;
  lockSeconds: number;
  smsBudget: readonly LimitRule[] | undefined;
  smsBudgetPerCountry: readonly LimitRule[] | undefined;
  smsGuardMinSends: number | undefined;
  smsGuardMinVerifyRatio: number;
}

export interface SendTarget {
  channel: Channel;
  /** E.164 phone or lower-cased email. */
  identifier: string;
  /** Phone only: "+91". */
  countryCode: string | undefined;
}

export interface SendRequest {
  clientAddress: string;
  purpose: Purpose;
  target: SendTarget;
  /** The account state refuses the request: only the per-address limit is counted. */
  addressOnly: boolean;
  /** A test identifier: nothing is sent, so no cooldown, send cap, budget or guard applies. */
  exempt: boolean;
}

/** What a passed send check took, to give back when delivery fails. */
export interface Taken {
  checks: LimitCheck[];
}

const GUARD_WINDOW_MS = 3_600_000;
const MAX_KEY_VALUE = 64;

/** LOCK_NOW: the failure budget is spent; the identifier is locked and the answer is IDENTIFIER_LOCKED. */
type Refusal = Parameters<typeof tooSoon>[0] | 'LOCK_NOW';

export function createLimits(deps: { limiter: Limiter; clock: Clock; log: Log; settings: LimitSettings }) {
  const { limiter, clock, log, settings } = deps;
  const guardOn = settings.smsGuardMinSends !== undefined;

  const take = (key: string, rules: readonly LimitRule[] | undefined) => (rules === undefined ? [] : [{ kind: 'take' as const, key, rules }]);
  const lockRule = [{ limit: 1, windowMs: settings.lockSeconds * 1000 }];
  const lockChecks = (identifier: string): [LimitCheck, Refusal][] => [
    [{ kind: 'peek', key: bounded('lock', identifier), rules: lockRule }, 'IDENTIFIER_LOCKED'],
  ];

  /** Decides `checks`; a refusal throws its error (a spent failure budget locks the identifier first). */
  async function decide(checks: [LimitCheck, Refusal][], identifier?: string): Promise<{ checks: LimitCheck[]; remaining: number }> {
    const nowMs = clock.now();
    const decision = await limiter.decide(
      checks.map(([check]) => check),
      nowMs,
    );
    if (decision.allowed) return { checks: checks.map(([check]) => check), remaining: decision.remaining };
    const refusal = checks[decision.refused]?.[1] ?? 'RATE_LIMITED';
    if (refusal === 'LOCK_NOW') throw await lock(identifier ?? '', nowMs);
    if (refusal === 'SMS_BUDGET_EXHAUSTED' || refusal === 'SMS_COUNTRY_THROTTLED') {
      log.error({ refusal, countryCode: countryOf(checks[decision.refused]?.[0]) }, 'SMS refused to protect the SMS budget');
    }
    return Promise.reject(tooSoon(refusal, decision.retryAfterMs));
  }

  async function lock(identifier: string, nowMs: number) {
    await limiter.decide([{ kind: 'take', key: bounded('lock', identifier), rules: lockRule }], nowMs);
    log.warn({ identifier: masked(identifier), lockSeconds: settings.lockSeconds }, 'identifier locked: failed verification budget spent');
    return tooSoon('IDENTIFIER_LOCKED', settings.lockSeconds * 1000);
  }

  /** Every route but the code requests, verifies and /health: IP_REQUEST_LIMIT; undefined while it is off (nothing to count). */
  const ipRequest = settings.ipRequest;
  const forRequest =
    ipRequest === undefined
      ? undefined
      : async (clientAddress: string): Promise<void> => {
          await decide(take(bounded('ip:other', clientAddress), ipRequest).map((check) => [check, 'RATE_LIMITED']));
        };

  /** The checks before a code is sent: one round trip. */
  async function beforeSend(request: SendRequest): Promise<Taken> {
    const { target } = request;
    const checks: [LimitCheck, Refusal][] = take(bounded('ip:send', request.clientAddress), settings.ipSend).map((c) => [c, 'RATE_LIMITED']);
    if (!request.addressOnly) {
      checks.push(...lockChecks(target.identifier));
      if (!request.exempt) checks.push(...sendChecks(request));
    }
    const taken = await decide(checks, target.identifier);
    // The per-address count stays spent even when delivery fails: only the identifier's are refunded.
    return { checks: taken.checks.filter((check) => check.kind === 'take' && !check.key.startsWith('ip:')) };
  }

  function sendChecks({ purpose, target }: SendRequest): [LimitCheck, Refusal][] {
    const checks: [LimitCheck, Refusal][] = [];
    if (settings.resendCooldownSeconds > 0) {
      const cooldown = [{ limit: 1, windowMs: settings.resendCooldownSeconds * 1000 }];
      checks.push([{ kind: 'take', key: bounded(`cooldown:${purpose}`, target.identifier), rules: cooldown }, 'OTP_COOLDOWN']);
    }
    const mailbox = target.channel === 'email' ? canonicalMailbox(target.identifier) : target.identifier;
    checks.push(...take(bounded('send', mailbox), settings.otpSend).map((c): [LimitCheck, Refusal] => [c, 'OTP_SEND_LIMIT']));
    if (target.channel === 'phone' && target.countryCode !== undefined) {
      const country = target.countryCode;
      checks.push(...take('sms:all', settings.smsBudget).map((c): [LimitCheck, Refusal] => [c, 'SMS_BUDGET_EXHAUSTED']));
      checks.push(...take(`sms:cc:${country}`, settings.smsBudgetPerCountry).map((c): [LimitCheck, Refusal] => [c, 'SMS_BUDGET_EXHAUSTED']));
      if (guardOn) {
        const guard: LimitCheck = {
          kind: 'ratio',
          eventsKey: `guard:sent:${country}`,
          successesKey: `guard:ok:${country}`,
          windowMs: GUARD_WINDOW_MS,
          minEvents: settings.smsGuardMinSends ?? 0,
          minRatio: settings.smsGuardMinVerifyRatio,
        };
        checks.push([guard, 'SMS_COUNTRY_THROTTLED']);
      }
    }
    return checks;
  }

  /** A failed delivery does not count: gives back exactly what `beforeSend` took for the identifier. */
  async function refund(taken: Taken): Promise<void> {
    await limiter.refund(taken.checks, clock.now());
  }

  /**
   * Counts for the conversion guard. Best effort: the code is already sent (or consumed), so a
   * store that fails here is logged rather than turning a done deed into an error answer.
   */
  async function countForGuard(kind: 'sent' | 'ok', target: SendTarget): Promise<void> {
    if (!guardOn || target.channel !== 'phone' || target.countryCode === undefined) return;
    await limiter
      .count(`guard:${kind}:${target.countryCode}`, GUARD_WINDOW_MS, clock.now())
      .catch((error: unknown) => log.warn({ countryCode: target.countryCode, reason: String(error) }, 'conversion guard count failed'));
  }

  /** A code reached a phone: counted for the conversion guard. */
  const afterSent = (target: SendTarget) => countForGuard('sent', target);

  /** The checks before a code is compared: per-address verifies and the identifier's lock. */
  async function beforeVerify(clientAddress: string, identifiers: string[]): Promise<void> {
    const checks: [LimitCheck, Refusal][] = take(bounded('ip:verify', clientAddress), settings.ipVerify).map((c) => [c, 'RATE_LIMITED']);
    for (const identifier of identifiers) checks.push(...lockChecks(identifier));
    await decide(checks, identifiers[0]);
  }

  /**
   * A wrong code spends the identifier's failure budget, whichever code it was for. The failure that
   * spends the last of it locks the identifier; one past it (after a lock ended) locks it again.
   */
  async function afterWrongGuess(identifier: string): Promise<void> {
    if (settings.verifyFailure === undefined) return;
    const { remaining } = await decide([[{ kind: 'take', key: bounded('fail', identifier), rules: settings.verifyFailure }, 'LOCK_NOW']], identifier);
    if (remaining === 0) throw await lock(identifier, clock.now());
  }

  /** A phone code verified: counted for the conversion guard. A success does not reset failures. */
  const afterVerified = (target: SendTarget) => countForGuard('ok', target);

  return { forRequest, beforeSend, refund, afterSent, beforeVerify, afterWrongGuess, afterVerified };
}

export type Limits = ReturnType<typeof createLimits>;

/**
 * For the send cap only (never for identity): one inbox, one count. "+tags" are dropped, and for
 * Gmail the dots of the local part (googlemail.com is gmail.com).
 */
export function canonicalMailbox(email: string): string {
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at).replace(/\+.*$/, '');
  let domain = email.slice(at + 1);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replaceAll('.', '');
  return `${local}@${domain}`;
}

/** Keys stay short whatever the identifier: a long one is replaced by its hash. */
function bounded(kind: string, value: string): string {
  const part = value.length <= MAX_KEY_VALUE ? value : `#${createHash('sha256').update(value).digest('base64url')}`;
  return `${kind}:${part}`;
}

/** "+91******3210", "a***@example.com": enough to correlate, never the identifier. */
function masked(identifier: string): string {
  const at = identifier.indexOf('@');
  if (at >= 0) return `${identifier.slice(0, 1)}***${identifier.slice(at)}`;
  return `${identifier.slice(0, 3)}${'*'.repeat(Math.max(0, identifier.length - 7))}${identifier.slice(-4)}`;
}

function countryOf(check: LimitCheck | undefined): string | undefined {
  if (check === undefined) return undefined;
  const key = check.kind === 'ratio' ? check.eventsKey : check.key;
  return /:(\+\d+)$/.exec(key)?.[1];
}
