// The story of the product: ask for a code, receive it, prove it, get a token.
// Free of HTTP and SQL: everything outside comes in through ports.ts.
import { AppError, tooSoon } from '../errors.js';
import { customerCanSignIn } from './customers.js';
import { nationalCandidates, normaliseEmail, parsePhone } from './identifiers.js';
import { generateCode, type CodeHasher } from './otp.js';
import type {
  Challenge,
  Channel,
  Clock,
  Customer,
  Limiter,
  Log,
  PhoneNumber,
  Purpose,
  RegistrationProfile,
  Senders,
  Store,
} from './ports.js';
import type { SessionService, SignedIn } from './sessions.js';
import { otpMessage } from '../delivery/messages.js';

export interface ChallengeSettings {
  otpLength: number;
  otpTtlSeconds: number;
  otpMaxAttempts: number;
  /** 0 turns the resend cooldown off. */
  resendCooldownSeconds: number;
  /** Requests per client address per window, for requests and verifies each; 0 turns it off. */
  ipMax: number;
  ipWindowSeconds: number;
  deliveryTimeoutMs: number;
  /** The spec's development mode: a code whose delivery failed is returned in the answer. */
  appDebug: boolean;
  defaultCountry: string | undefined;
}

export interface ChallengeDeps {
  store: Store;
  limiter: Limiter;
  senders: Senders;
  clock: Clock;
  hasher: CodeHasher;
  sessions: Pick<SessionService, 'start'>;
  log: Log;
  settings: ChallengeSettings;
}

export interface IdentifierInput {
  channel: Channel;
  identifier: string;
  countryCode?: string | undefined;
}

export interface ProfileInput {
  name?: string | undefined;
  username?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
}

export interface CodeRequest extends IdentifierInput {
  purpose: Purpose;
  clientAddress: string;
  profile?: ProfileInput;
}

export interface CodeSent {
  channel: Channel;
  /** What the answer shows: the national phone number or the email address. */
  sentTo: string;
  expiresInMinutes: number;
  /** Only with APP_DEBUG and only when delivery failed. */
  debugOtp?: string;
}

export interface CodeVerification extends IdentifierInput {
  purpose: Purpose;
  clientAddress: string;
  userAgent?: string | undefined;
  otp: string;
}

interface Target {
  channel: Channel;
  identifier: string;
  phone: PhoneNumber | null;
}

export function createChallengeService(deps: ChallengeDeps) {
  const { store, limiter, senders, clock, hasher, sessions, log, settings } = deps;
  const ttlMs = settings.otpTtlSeconds * 1000;

  async function limitClient(action: 'request' | 'verify', clientAddress: string): Promise<void> {
    if (settings.ipMax === 0) return;
    const decision = await limiter.hit(`ip:${action}:${clientAddress}`, settings.ipMax, settings.ipWindowSeconds * 1000, clock.now());
    if (!decision.allowed) throw tooSoon('RATE_LIMITED', decision.retryAfterMs);
  }

  function resolveTarget(input: IdentifierInput): Target {
    if (input.channel === 'email') return { channel: 'email', identifier: normaliseEmail(input.identifier), phone: null };
    const phone = parsePhone({ number: input.identifier, countryCode: input.countryCode, defaultCountry: settings.defaultCountry });
    if (phone === undefined) {
      throw new AppError('INVALID_PHONE', { message: 'Include the country code: send country_code or a number starting with +' });
    }
    return { channel: 'phone', identifier: phone.e164, phone };
  }

  function resolveProfile(channel: Channel, countryCode: string | undefined, input: ProfileInput | undefined): RegistrationProfile {
    const name = input?.name?.trim();
    return {
      name: name === undefined || name === '' ? null : name,
      username: input?.username ?? null,
      // The other identifier is only a claim until verified: it never signs anyone in.
      email: channel === 'phone' && input?.email !== undefined ? normaliseEmail(input.email) : null,
      phone:
        channel === 'email' && input?.phone !== undefined
          ? (parsePhone({ number: input.phone, countryCode, defaultCountry: settings.defaultCountry }) ??
            failPhone())
          : null,
    };
  }

  async function requestCode(request: CodeRequest): Promise<CodeSent> {
    await limitClient('request', request.clientAddress);
    const target = resolveTarget(request);
    const profile = resolveProfile(target.channel, request.countryCode, request.profile);

    const existing = await store.findCustomerByIdentifier(target.channel, target.identifier);
    if (request.purpose === 'register') {
      if (existing !== undefined) throw new AppError('ALREADY_REGISTERED');
      if (profile.username !== null && (await store.isUsernameTaken(profile.username))) throw new AppError('USERNAME_TAKEN');
    } else {
      if (existing === undefined) throw new AppError('ACCOUNT_NOT_FOUND');
      if (!customerCanSignIn(existing)) throw new AppError('ACCOUNT_INACTIVE');
    }

    // Taken before the code is made, atomically: of parallel requests exactly one sends a message.
    const cooldownKey = `cooldown:${request.purpose}:${target.identifier}`;
    if (settings.resendCooldownSeconds > 0) {
      const decision = await limiter.hit(cooldownKey, 1, settings.resendCooldownSeconds * 1000, clock.now());
      if (!decision.allowed) throw tooSoon('OTP_COOLDOWN', decision.retryAfterMs);
    }

    const code = generateCode(settings.otpLength);
    const challenge = {
      identifier: target.identifier,
      channel: target.channel,
      purpose: request.purpose,
      codeHash: hasher.hash(request.purpose, target.identifier, code),
      expiresAtMs: clock.now() + ttlMs,
      phoneNational: target.phone?.national ?? null,
      profile,
    };
    const sent: CodeSent = {
      channel: target.channel,
      sentTo: target.phone?.national ?? target.identifier,
      expiresInMinutes: Math.ceil(settings.otpTtlSeconds / 60),
    };
    const sender = senders[target.channel];
    const message = otpMessage({ channel: target.channel, purpose: request.purpose, code, ttlMinutes: sent.expiresInMinutes });
    // Sent before it is stored: a resend whose delivery fails leaves the code the customer
    // already holds working, instead of replacing it with one nobody received.
    try {
      await withTimeout(settings.deliveryTimeoutMs, (signal) => sender.send({ to: target.identifier, ...message }, signal));
    } catch (error) {
      // A failed delivery does not start the cooldown: the customer may ask again at once.
      if (settings.resendCooldownSeconds > 0) await limiter.refund(cooldownKey, clock.now());
      log.warn({ provider: sender.name, channel: target.channel, reason: describe(error) }, 'OTP delivery failed');
      if (!settings.appDebug) throw new AppError('DELIVERY_FAILED', { cause: error });
      await store.saveChallenge(challenge);
      return { ...sent, debugOtp: code };
    }
    await store.saveChallenge(challenge);
    return sent;
  }

  /**
   * Finds the pending code. A phone verify may come without country code although the request
   * had one (the spec's own example): then the one pending code for that national number is it.
   */
  async function findChallenge(input: IdentifierInput, purpose: Purpose): Promise<Challenge | undefined> {
    if (input.channel === 'email') return store.findChallenge(normaliseEmail(input.identifier), purpose);
    const explicit = parsePhone({ number: input.identifier, countryCode: input.countryCode });
    if (explicit !== undefined) return store.findChallenge(explicit.e164, purpose);

    const nowMs = clock.now();
    const pending = await store.findPhoneChallengesByNational(nationalCandidates(input.identifier), purpose);
    const live = pending.filter((challenge) => challenge.expiresAtMs > nowMs);
    if (live.length === 1) return live[0];
    if (live.length === 0 && pending.length === 1) return pending[0];
    if (settings.defaultCountry === undefined) return undefined;
    const local = parsePhone({ number: input.identifier, defaultCountry: settings.defaultCountry });
    return local === undefined ? undefined : store.findChallenge(local.e164, purpose);
  }

  async function verifyCode(verification: CodeVerification): Promise<SignedIn> {
    await limitClient('verify', verification.clientAddress);
    const challenge = await findChallenge(verification, verification.purpose);
    if (challenge === undefined) throw new AppError('OTP_NOT_FOUND');
    const account = challenge.purpose === 'login' ? await accountSigningIn(challenge) : undefined;
    const nowMs = clock.now();
    await checkCode(challenge, verification.otp, nowMs);
    const customer = account === undefined ? await createAccount(challenge, nowMs) : await consumeLogin(challenge, account, nowMs);
    return sessions.start(customer, { clientAddress: verification.clientAddress, userAgent: verification.userAgent }, nowMs);
  }

  async function accountSigningIn(challenge: Challenge): Promise<Customer> {
    const customer = await store.findCustomerByIdentifier(challenge.channel, challenge.identifier);
    if (customer === undefined) throw new AppError('ACCOUNT_NOT_FOUND');
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');
    return customer;
  }

  /** Throws unless `otp` is the live code; a wrong one counts against the attempts. */
  async function checkCode(challenge: Challenge, otp: string, nowMs: number): Promise<void> {
    const max = settings.otpMaxAttempts;
    if (challenge.attempts >= max) throw new AppError('OTP_ATTEMPTS_EXCEEDED');
    if (challenge.expiresAtMs <= nowMs) throw new AppError('OTP_EXPIRED');
    if (hasher.matches(challenge.codeHash, challenge.purpose, challenge.identifier, otp)) return;
    const attempts = await store.countFailedAttempt(challenge, challenge.codeHash, max);
    // The guarded increment is the arbiter: of parallel wrong guesses at most `max` count.
    if (attempts === undefined || attempts >= max) throw new AppError('OTP_ATTEMPTS_EXCEEDED');
    const left = max - attempts;
    throw new AppError('OTP_INVALID', { message: `Invalid OTP. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.` });
  }

  async function consumeLogin(challenge: Challenge, customer: Customer, nowMs: number): Promise<Customer> {
    // Single use: of parallel verifies of one code exactly one wins this conditional delete.
    const won = await store.consumeChallenge(challenge, challenge.codeHash, settings.otpMaxAttempts, nowMs);
    if (!won) throw new AppError('OTP_NOT_FOUND');
    return customer;
  }

  async function createAccount(challenge: Challenge, nowMs: number): Promise<Customer> {
    const consume = { key: challenge, codeHash: challenge.codeHash, maxAttempts: settings.otpMaxAttempts, nowMs };
    const customer = await store.registerCustomer(consume, {
      email: challenge.channel === 'email' ? challenge.identifier : challenge.profile.email,
      emailValidated: challenge.channel === 'email',
      phone: challenge.channel === 'phone' ? phoneOf(challenge) : challenge.profile.phone,
      phoneValidated: challenge.channel === 'phone',
      name: challenge.profile.name,
      username: challenge.profile.username,
    });
    // Undefined: a parallel verify of the same code won the consume and made the account.
    if (customer === undefined) throw new AppError('OTP_NOT_FOUND');
    return customer;
  }

  return { requestCode, verifyCode };
}

export type ChallengeService = ReturnType<typeof createChallengeService>;

/** The verified phone of a phone challenge; E.164 is "+" calling code and national number. */
function phoneOf(challenge: Challenge): PhoneNumber {
  const countryCode = challenge.identifier.slice(0, challenge.identifier.length - (challenge.phoneNational ?? '').length);
  return { e164: challenge.identifier, national: challenge.phoneNational ?? '', countryCode };
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs`. Unlike AbortSignal.timeout, the timer is
 * cleared as soon as the work settles, so a busy instance does not hold one live timer (and its
 * signal) per request for the whole timeout.
 */
async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('delivery timed out', 'TimeoutError')), timeoutMs);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

function failPhone(): never {
  throw new AppError('INVALID_PHONE', { message: 'Include the country code of the phone: country_code or a number starting with +' });
}

/** A provider failure, said without anything the message carried. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timed out' : error.message;
  return 'unknown error';
}
