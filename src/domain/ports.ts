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

/** Optional profile fields a registration carries, bound to the code issued with them. */
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
  /** The live code a resend replaced (OTP_ACCEPT_PREVIOUS_CODE), or null. */
  previous: PreviousCode | null;
}

/** A code a resend replaced: valid until its own expiry, sharing the pair's one attempts budget. */
export interface PreviousCode {
  codeHash: string;
  expiresAtMs: number;
}

/** How a new code treats the live one it replaces (decided by src/domain/resend.ts). */
export interface Replacement {
  /** Keep the replaced code (while unexpired and attempts are left) and carry its attempts over. */
  keepPrevious: boolean;
  nowMs: number;
  maxAttempts: number;
}

export type NewChallenge = Omit<Challenge, 'attempts' | 'previous'> & { replacing: Replacement };

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
   * Replaces any challenge for the same identifier and purpose, profile fields included: the fields
   * stored are exactly the new request's, never merged with earlier ones. One atomic upsert: with
   * `replacing.keepPrevious` the code replaced stays as the previous one (the one before it is
   * dropped: at most two live codes) and its attempts carry over; otherwise attempts restart at 0.
   */
  saveChallenge(challenge: NewChallenge): Promise<void>;
  findChallenge(identifier: string, purpose: Purpose): Promise<Challenge | undefined>;
  /** Phone challenges for a national number, for a verify sent without country code. */
  findPhoneChallengesByNational(national: string[], purpose: Purpose): Promise<Challenge[]>;
  /**
   * Race-safe single use: one conditional delete that exactly one caller can win, and only while
   * the hash is the current or the previous code's, that code is unexpired and attempts are left.
   * Deleting the row ends both codes.
   */
  consumeChallenge(key: ChallengeKey, codeHash: string, maxAttempts: number, nowMs: number): Promise<boolean>;
  /**
   * Guarded increment of the pair's one budget (only while attempts are left and `codeHash` is still
   * the current or previous code): returns the new count, or undefined when used up or replaced.
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

export interface LimitDecision {
  allowed: boolean;
  /** When refused: how long until the window opens again. */
  retryAfterMs: number;
}

/**
 * Every limit (resend cooldown, request rates) is a fixed-window counter behind this one port.
 * A refused hit does not count, so `refund` after a failed delivery restores exactly one slot.
 */
export interface Limiter {
  hit(key: string, max: number, windowMs: number, nowMs: number): Promise<LimitDecision>;
  refund(key: string, nowMs: number): Promise<void>;
  /** Periodic cleanup of ended windows (a no-op where the store expires keys itself). */
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
  /** Email only: the HTML part sent beside the text (multipart/alternative). */
  html?: string;
  /** The locale the text was rendered in. */
  locale?: string;
  /** SMS only: the segments the text travels in (for the bill and the metrics). */
  segments?: number;
}

export interface MessageRequest {
  channel: Channel;
  purpose: Purpose;
  code: string;
  ttlMinutes: number;
  /** BCP 47 preferences, best first: the body's `locale`, then Accept-Language. May name nothing known. */
  locales: readonly string[];
}

export type RenderedMessage = Omit<OutboundMessage, 'to'> & { locale: string };

/** The texts customers receive, per locale (src/domain/messages/). Checked at start-up; rendering cannot fail. */
export interface Messages {
  render(request: MessageRequest): RenderedMessage;
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
