// The story of the product: ask for a code, receive it, prove it, get a token.
// Free of HTTP and SQL: everything outside comes in through ports.ts.
import { AppError } from '../errors.js';
import { createCodeDelivery } from './code-delivery.js';
import { accountRefusal, customerCanSignIn } from './customers.js';
import { createEnumerationProtection } from './enumeration.js';
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
import { createLimits, type LimitSettings } from './limits.js';
import type { TestIdentifiers } from './test-identifiers.js';
import type { Tokens } from './tokens.js';
import { otpMessage } from '../delivery/messages.js';

export interface ChallengeSettings {
  otpLength: number;
  otpTtlSeconds: number;
  otpMaxAttempts: number;
  /** Every abuse limit, the resend cooldown among them (limits.ts). */
  limits: LimitSettings;
  testIdentifiers: TestIdentifiers;
  enumerationProtection: boolean;
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
  tokens: Tokens;
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
  otp: string;
}

export interface SignedIn {
  customer: Customer;
  accessToken: string;
  expiresInSeconds: number;
}

interface Target {
  channel: Channel;
  identifier: string;
  phone: PhoneNumber | null;
}

export function createChallengeService(deps: ChallengeDeps) {
  const { store, limiter, senders, clock, hasher, tokens, log, settings } = deps;
  const ttlMs = settings.otpTtlSeconds * 1000;
  const limits = createLimits({ limiter, clock, log, settings: settings.limits });
  const enumeration = createEnumerationProtection(settings.enumerationProtection);
  const { deliveryTimeoutMs } = settings;
  const delivery = createCodeDelivery({ senders, limits, log, deliveryTimeoutMs, background: enumeration.enabled });

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
    const target = resolveTarget(request);
    const profile = resolveProfile(target.channel, request.countryCode, request.profile);
    const refusal = await accountRefusal(store, { ...request, ...target, profile, checkUsername: !enumeration.enabled });
    const fixedCode = settings.testIdentifiers.get(target.identifier);
    const addressOnly = refusal !== undefined && !enumeration.enabled;
    // One round trip: address, lock, cooldown, send caps, SMS budgets; of parallel requests exactly one passes a cooldown.
    const taken = await limits.beforeSend({ ...request, target: sendTarget(target), addressOnly, exempt: fixedCode !== undefined });
    const silent = enumeration.decoy(refusal) || fixedCode !== undefined;

    const code = fixedCode ?? generateCode(settings.otpLength);
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
    const message = otpMessage({ channel: target.channel, purpose: request.purpose, code, ttlMinutes: sent.expiresInMinutes });
    const save = () => store.saveChallenge(challenge);
    const failure = await delivery.deliver({ target: sendTarget(target), message, silent, taken, save });
    if (failure === undefined) return sent;
    if (!settings.appDebug) throw new AppError('DELIVERY_FAILED', { cause: failure });
    await save();
    return { ...sent, debugOtp: code };
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
    return verifyChallenge(verification).catch(enumeration.conceal);
  }

  async function verifyChallenge(verification: CodeVerification): Promise<SignedIn> {
    const challenge = await findChallenge(verification, verification.purpose);
    await limits.beforeVerify(verification.clientAddress, challenge?.identifier);
    if (challenge === undefined) throw new AppError('OTP_NOT_FOUND');
    const account = challenge.purpose === 'login' ? await accountSigningIn(challenge) : undefined;
    const nowMs = clock.now();
    await checkCode(challenge, verification.otp, nowMs);
    const customer = account === undefined ? await createAccount(challenge, nowMs) : await consumeLogin(challenge, account, nowMs);
    await limits.afterVerified(sendTarget({ channel: challenge.channel, identifier: challenge.identifier, phone: phoneOf(challenge) }));
    const issued = await tokens.sign(customer.id, nowMs);
    return { customer, accessToken: issued.token, expiresInSeconds: issued.expiresInSeconds };
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
    if (attempts !== undefined) await limits.afterWrongGuess(challenge.identifier);
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

  /** The signed-in customer behind a bearer token. */
  async function authenticate(token: string): Promise<Customer> {
    const id = await tokens.verify(token, clock.now());
    if (id === undefined) throw new AppError('UNAUTHORIZED');
    const customer = await store.findCustomerById(id);
    if (customer === undefined) throw new AppError('UNAUTHORIZED');
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');
    return customer;
  }

  return { requestCode, verifyCode, authenticate, limitRequest: limits.forRequest };
}

export type ChallengeService = ReturnType<typeof createChallengeService>;

function sendTarget(target: Target) {
  return { channel: target.channel, identifier: target.identifier, countryCode: target.phone?.countryCode };
}

/** The verified phone of a phone challenge; E.164 is "+" calling code and national number. */
function phoneOf(challenge: Challenge): PhoneNumber {
  const countryCode = challenge.identifier.slice(0, challenge.identifier.length - (challenge.phoneNational ?? '').length);
  return { e164: challenge.identifier, national: challenge.phoneNational ?? '', countryCode };
}

function failPhone(): never {
  throw new AppError('INVALID_PHONE', { message: 'Include the country code of the phone: country_code or a number starting with +' });
}
