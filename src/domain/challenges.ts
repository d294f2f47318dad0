// The story of the product: ask for a code, receive it, prove it, get a token.
// Free of HTTP and SQL: everything outside comes in through ports.ts.
import { AppError, tooSoon } from '../errors.js';
import { createCodeChecks } from './candidates.js';
import { customerCanSignIn } from './customers.js';
import { normaliseEmail, parsePhone } from './identifiers.js';
import { generateCode, type CodeHasher } from './otp.js';
import type { Challenge, Channel, Clock, Customer, Limiter, Log, Messages, PhoneNumber, Purpose, Senders, Store } from './ports.js';
import { completeProfile, createRegistrations, readProfile, type ProfileInput, type ProfileWarning } from './profiles.js';
import { replacement } from './resend.js';
import type { Tokens } from './tokens.js';

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
  /** A resend keeps the replaced code valid until its own expiry (resend.ts). */
  acceptPreviousCode: boolean;
}

export interface ChallengeDeps {
  store: Store;
  limiter: Limiter;
  senders: Senders;
  messages: Messages;
  clock: Clock;
  hasher: CodeHasher;
  tokens: Tokens;
  log: Log;
  settings: ChallengeSettings;
}

export interface IdentifierInput {
  channel: Channel;
  identifier: string;
  countryCode?: string | undefined;
}

export interface CodeRequest extends IdentifierInput {
  purpose: Purpose;
  clientAddress: string;
  profile?: ProfileInput;
  /** BCP 47 preferences for the message, best first (body `locale`, then Accept-Language). */
  locales?: readonly string[];
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
  otp: string;
  /** Registration only: fields sent with the verify win over those stored with the code. */
  profile?: ProfileInput;
}

export interface SignedIn {
  customer: Customer;
  accessToken: string;
  expiresInSeconds: number;
  /** Registration only: profile fields stored with the code that could not be applied. */
  profileWarnings: ProfileWarning[];
}

interface Target {
  channel: Channel;
  identifier: string;
  phone: PhoneNumber | null;
}

export function createChallengeService(deps: ChallengeDeps) {
  const { store, limiter, senders, messages, clock, hasher, tokens, log, settings } = deps;
  const ttlMs = settings.otpTtlSeconds * 1000;
  const codes = createCodeChecks({ store, hasher, settings });
  const registrations = createRegistrations({ store, maxAttempts: settings.otpMaxAttempts });

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

  async function requestCode(request: CodeRequest): Promise<CodeSent> {
    await limitClient('request', request.clientAddress);
    const target = resolveTarget(request);
    const profile = completeProfile(readProfile(target.channel, request.profile, phoneCountry(request.countryCode)));

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
      replacing: replacement(settings, clock.now()),
    };
    const sent: CodeSent = {
      channel: target.channel,
      sentTo: target.phone?.national ?? target.identifier,
      expiresInMinutes: Math.ceil(settings.otpTtlSeconds / 60),
    };
    const sender = senders[target.channel];
    const message = messages.render({ channel: target.channel, purpose: request.purpose, code, ttlMinutes: sent.expiresInMinutes, locales: request.locales ?? [] });
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

  async function verifyCode(verification: CodeVerification): Promise<SignedIn> {
    await limitClient('verify', verification.clientAddress);
    const sent = readProfile(verification.channel, verification.profile, phoneCountry(verification.countryCode));
    const nowMs = clock.now();
    const challenge = await codes.check(verification, verification.purpose, verification.otp, nowMs);
    const { customer, warnings } =
      challenge.purpose === 'login'
        ? { customer: await consumeLogin(challenge, nowMs), warnings: [] }
        : await registrations.createAccount(challenge, sent, nowMs);
    const issued = await tokens.sign(customer.id, nowMs);
    return { customer, accessToken: issued.token, expiresInSeconds: issued.expiresInSeconds, profileWarnings: warnings };
  }

  async function consumeLogin(challenge: Challenge, nowMs: number): Promise<Customer> {
    const customer = await store.findCustomerByIdentifier(challenge.channel, challenge.identifier);
    if (customer === undefined) throw new AppError('ACCOUNT_NOT_FOUND');
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');
    // Single use: of parallel verifies of one code exactly one wins this conditional delete.
    const won = await store.consumeChallenge(challenge, challenge.codeHash, settings.otpMaxAttempts, nowMs);
    if (!won) throw new AppError('OTP_NOT_FOUND');
    return customer;
  }

  function phoneCountry(countryCode: string | undefined) {
    return { countryCode, defaultCountry: settings.defaultCountry };
  }

  /** The signed-in customer behind a bearer token. */
  async function authenticate(token: string): Promise<Customer> {
    const id = await tokens.verify(token, clock.now());
    if (id === undefined) throw new AppError('UNAUTHORIZED');
    const customer = await store.findCustomerById(id);
    if (customer === undefined) throw new AppError('UNAUTHORIZED');
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');
    return customer;
  }

  return { requestCode, verifyCode, authenticate };
}

export type ChallengeService = ReturnType<typeof createChallengeService>;

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

/** A provider failure, said without anything the message carried. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timed out' : error.message;
  return 'unknown error';
}
