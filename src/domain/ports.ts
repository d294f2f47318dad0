// What the domain needs from the outside world. The domain imports nothing but this file's
// types: the store, the limiter and the senders are wired in by src/server.ts (or by a test).

export type Channel = 'phone' | 'email';
export type Purpose = 'register' | 'login';
export type CustomerStatus = 'active' | 'inactive' | 'blocked';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Customer {
  id: number;
  username: string | null;
  name: string | null;
  email: string | null;
  phoneE164: string | null;
  /** National significant number, digits only ("9876543210"). */
  phoneNational: string | null;
  /** Calling code with a plus ("+91"). */
  countryCode: string | null;
  phoneValidated: boolean;
  emailValidated: boolean;
  status: CustomerStatus;
  createdAtMs: number;
}

/** Optional profile fields a registration carries; applied when the account is created. */
export interface RegistrationProfile {
  name: string | null;
  username: string | null;
  /** Unverified secondary identifier: an email on a phone registration. */
  email: string | null;
  /** Unverified secondary identifier: a phone on an email registration. */
  phone: PhoneNumber | null;
}

export interface PhoneNumber {
  e164: string;
  national: string;
  countryCode: string;
}

/** A challenge is known by its identifier and purpose: one live code for each pair. */
export interface ChallengeKey {
  /** E.164 phone or lower-cased email: the one spelling of the identifier. */
  identifier: string;
  purpose: Purpose;
}

export interface Challenge extends ChallengeKey {
  channel: Channel;
  /** HMAC-SHA256 of purpose, identifier and code, hex. Never the code itself. */
  codeHash: string;
  attempts: number;
  expiresAtMs: number;
  /** Phone challenges only: the national number, to find a code verified without country code. */
  phoneNational: string | null;
  profile: RegistrationProfile;
}

export type NewChallenge = Omit<Challenge, 'attempts'>;

export interface NewCustomer {
  email: string | null;
  emailValidated: boolean;
  phone: PhoneNumber | null;
  phoneValidated: boolean;
  name: string | null;
  username: string | null;
}

export interface Store {
  findCustomerById(id: number): Promise<Customer | undefined>;
  /** Only a verified phone or email identifies an account. */
  findCustomerByIdentifier(channel: Channel, identifier: string): Promise<Customer | undefined>;
  isUsernameTaken(username: string): Promise<boolean>;

  /**
   * Replaces any live challenge for the same identifier and purpose (one live code each). Profile
   * fields the new request leaves out keep their earlier values (a resend carries none).
   */
  saveChallenge(challenge: NewChallenge): Promise<void>;
  findChallenge(identifier: string, purpose: Purpose): Promise<Challenge | undefined>;
  /** Phone challenges for a national number, for a verify sent without country code. */
  findPhoneChallengesByNational(national: string[], purpose: Purpose): Promise<Challenge[]>;
  /**
   * Race-safe single use: one conditional delete that exactly one caller can win, and only while
   * the hash still matches, the code is unexpired and attempts are left.
   */
  consumeChallenge(key: ChallengeKey, codeHash: string, maxAttempts: number, nowMs: number): Promise<boolean>;
  /**
   * Guarded increment (only while attempts are left and the code was not replaced): returns the
   * new count, or undefined when attempts were already used up.
   */
  countFailedAttempt(key: ChallengeKey, codeHash: string, maxAttempts: number): Promise<number | undefined>;

  /**
   * In one transaction: consume the registration challenge and create the account, dropping
   * unverified claims on the verified identifier. Returns undefined when the code was consumed by
   * someone else first; throws AppError ALREADY_REGISTERED / USERNAME_TAKEN on a unique conflict.
   */
  registerCustomer(
    consume: { key: ChallengeKey; codeHash: string; maxAttempts: number; nowMs: number },
    customer: NewCustomer,
  ): Promise<Customer | undefined>;

  deleteExpiredChallenges(nowMs: number): Promise<number>;
  ping(): Promise<void>;
}

/** At most `limit` in any `windowMs` (counted by GCRA: a burst of `limit`, then one per window/limit). */
export interface LimitRule {
  limit: number;
  windowMs: number;
}

/**
 * One check of a request. `take` counts one under every rule when the whole request passes;
 * `peek` refuses exactly when a take would be refused, and counts nothing (a lock is a peek).
 * `ratio` refuses when, over its window, at least `minEvents` were counted on `eventsKey` and
 * fewer than `minRatio` of that on `successesKey` (bucketed counters written by `count`).
 */
export type LimitCheck =
  | { kind: 'take' | 'peek'; key: string; rules: readonly LimitRule[] }
  | { kind: 'ratio'; eventsKey: string; successesKey: string; windowMs: number; minEvents: number; minRatio: number };

export type LimitDecision =
  /** `remaining`: how many more takes the tightest rule allows now (Infinity without takes). */
  | { allowed: true; remaining: number }
  /** `refused` is the index of the first failing check; retryAfterMs is how long until it would pass. */
  | { allowed: false; refused: number; retryAfterMs: number };

/**
 * Every limit (cooldown, per-address rates, send caps, failure budget, lock, SMS budgets, the
 * conversion guard) is decided behind this one port, shared by every instance.
 */
export interface Limiter {
  /**
   * All checks of one request in one round trip, atomically and all-or-nothing: when any check
   * refuses, nothing is counted. Parallel callers can never pass more than a rule allows.
   */
  decide(checks: readonly LimitCheck[], nowMs: number): Promise<LimitDecision>;
  /** Gives back exactly what a passed `decide` took for these take checks (a failed delivery). */
  refund(checks: readonly LimitCheck[], nowMs: number): Promise<void>;
  /** Adds one to the bucketed counter `key` (kept for `windowMs`), read by ratio checks. */
  count(key: string, windowMs: number, nowMs: number): Promise<void>;
  /** Periodic cleanup of ended state (a no-op where the store expires keys itself). */
  sweep(nowMs: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OutboundMessage {
  /** E.164 phone number or email address. */
  to: string;
  /** Email only. */
  subject?: string;
  text: string;
}

/** One delivery provider (Twilio, SMTP, console...). Throws on any failure. */
export interface Sender {
  readonly name: string;
  send(message: OutboundMessage, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface Senders {
  phone: Sender;
  email: Sender;
}

/** The slice of a logger the domain uses (pino's satisfies it). */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
