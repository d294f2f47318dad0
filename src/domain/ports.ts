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
  /** The text the customer reads, code included. */
  text: string;
  /** What the code is for and how many digits it has: for providers that template or route by it. */
  purpose: Purpose;
  codeLength: number;
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

export type RenderedMessage = Omit<OutboundMessage, 'to' | 'purpose' | 'codeLength'> & { locale: string };

/** The texts customers receive, per locale (src/domain/messages/). Checked at start-up; rendering cannot fail. */
export interface Messages {
  render(request: MessageRequest): RenderedMessage;
}

/**
 * One delivery provider (Twilio, SMTP, console...), or several tried in order behind one. Throws on
 * any failure; the signal bounds the whole send.
 */
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

/** A session: the family of refresh tokens descending from one sign-in. Its id is the tokens' `sid`. */
export interface Session {
  id: string;
  customerId: number;
  createdAtMs: number;
  lastUsedAtMs: number;
  /** When its newest refresh token expires. */
  expiresAtMs: number;
  userAgent: string | null;
  clientAddress: string | null;
}

export type NewSession = Session;

/** A stored refresh token (known by the SHA-256 of the token), with what decides whether it may be used. */
export interface StoredRefreshToken {
  tokenHash: string;
  sessionId: string;
  customerId: number;
  expiresAtMs: number;
  /** Set when it was exchanged for its successor. */
  spentAtMs: number | null;
  sessionRevokedAtMs: number | null;
}

/** How a presented refresh token is found: the session it names (undefined for a legacy token, which names none) and its SHA-256. */
export interface RefreshTokenKey {
  sessionId: string | undefined;
  tokenHash: string;
}

export interface NewRefreshToken {
  tokenHash: string;
  sessionId: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface SessionStore {
  /** The session and its first refresh token, in one atomic step. */
  createSession(session: NewSession, firstToken: NewRefreshToken): Promise<void>;
  findRefreshToken(key: RefreshTokenKey): Promise<StoredRefreshToken | undefined>;
  /**
   * Rotation, one atomic step: stores the successor (idempotent: parallel rotations of one token
   * derive the same successor, stored once), spends the token (at the successor's creation time)
   * with a conditional update exactly one caller can win, and for that winner moves the session's
   * last use and expiry to the successor's. True for the winner.
   */
  rotateRefreshToken(spent: RefreshTokenKey, successor: NewRefreshToken): Promise<boolean>;
  /** The customer, when the session exists, belongs to them, is not revoked and has not expired; else undefined. */
  findSessionCustomer(sessionId: string, customerId: number, nowMs: number): Promise<Customer | undefined>;
  /** The customer's live sessions, most recently used first. */
  listSessions(customerId: number, nowMs: number): Promise<Session[]>;
  /** Revokes one live session of this customer (one conditional update); false when there is none. */
  revokeSession(sessionId: string, customerId: number, nowMs: number): Promise<boolean>;
  /** Revokes every live session of the customer; returns how many. */
  revokeCustomerSessions(customerId: number, nowMs: number): Promise<number>;
  /** Deletes sessions that expired or were revoked before `beforeMs` (with their tokens), and tokens expired before it. */
  deleteEndedSessions(beforeMs: number): Promise<number>;
}

export type VerificationOutcome = 'success' | 'invalid' | 'expired' | 'attempts_exceeded' | 'not_found';

/** Where a code went: the channel, the provider that carried it, the destination's calling code ("+91"; "email"). */
export interface Delivery {
  channel: Channel;
  provider: string;
  /** Bounded: a calling code, never a number; "email" for email, "unknown" when none can be told. */
  destination: string;
}

/**
 * What happened, for metrics and security logs. Each method is fire-and-forget and never throws;
 * no argument ever carries a code, a token or a full identifier.
 */
export interface Events {
  codeRequested(delivery: Delivery): void;
  codeDelivered(delivery: Delivery): void;
  codeFailed(delivery: Delivery): void;
  verification(outcome: VerificationOutcome, context: { channel: Channel; purpose: Purpose; destination: string }): void;
  registration(context: { channel: Channel; customerId: number }): void;
  login(context: { channel: Channel; customerId: number }): void;
  /** A request refused with a catalogue code (cooldown, every abuse limit, inactive account...). */
  refusal(code: string, status: number): void;
  /** Refresh-token rotation: 'success', or 'reuse' when a rotated token came back (the family is revoked). */
  refresh(outcome: 'success' | 'reuse' | 'invalid', context?: { customerId?: number; sessionId?: string }): void;
  /** An operator changed an account's status (customer-auth customers block / unblock). */
  accountStatusChanged(context: { customerId: number; status: CustomerStatus }): void;
}

/** What the admin CLI reads and changes: accounts by id, identifier or status. */
export interface AdminStore {
  /** Newest first. */
  listCustomers(filter: { status?: CustomerStatus; limit: number }): Promise<Customer[]>;
  findCustomerById(id: number): Promise<Customer | undefined>;
  findCustomerByIdentifier(channel: Channel, identifier: string): Promise<Customer | undefined>;
  /** Verified phone accounts whose national number is one of these (a number typed without country). */
  findCustomersByNational(national: string[]): Promise<Customer[]>;
  /** One conditional update; answers the account as it now is, or undefined when no such id. */
  setCustomerStatus(id: number, status: CustomerStatus, nowMs: number): Promise<Customer | undefined>;
}

/** Ends every session of a customer (refresh tokens); provided once sessions exist. */
export interface SessionRevoker {
  /** Returns how many sessions were revoked. */
  revokeAllSessions(customerId: number, nowMs: number): Promise<number>;
}
