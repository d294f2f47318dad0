// The story of the product: ask for a code, receive it, prove it, get a token.
// Free of HTTP and SQL: everything outside comes in through ports.ts.
import { AppError } from '../errors.js';
import { createCodeChecks } from './candidates.js';
import { createCodeDelivery } from './code-delivery.js';
import { accountRefusal, customerCanSignIn } from './customers.js';
import { createEnumerationProtection } from './enumeration.js';
import { normaliseEmail, parsePhone } from './identifiers.js';
import { createLimits, type LimitSettings, type SendTarget } from './limits.js';
import { generateCode, type CodeHasher } from './otp.js';
import type { Challenge, Channel, Clock, Customer, Limiter, Log, Messages, PhoneNumber, Purpose, Senders, Store } from './ports.js';
import { completeProfile, createRegistrations, readProfile, type ProfileInput, type ProfileWarning } from './profiles.js';
import type { SessionService, SignedIn } from './sessions.js';
import type { TestIdentifiers } from './test-identifiers.js';
import { replacement } from './resend.js';

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
  /** A resend keeps the replaced code valid until its own expiry (resend.ts). */
  acceptPreviousCode: boolean;
}

export interface ChallengeDeps {
  store: Store;
  limiter: Limiter;
  phonePolicy: { check(phone: PhoneNumber | null): void };
  senders: Senders;
  messages: Messages;
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
  userAgent?: string | undefined;
  otp: string;
  /** Registration only: fields sent with the verify win over those stored with the code. */
  profile?: ProfileInput;
}

/** A verify's answer: the new session, and (registration only) profile fields stored with the code that could not be applied. */
export interface Verified extends SignedIn {
  profileWarnings: ProfileWarning[];
}

interface Target {
  channel: Channel;
  identifier: string;
  phone: PhoneNumber | null;
}

export function createChallengeService(deps: ChallengeDeps) {
  const { store, limiter, senders, messages, clock, hasher, sessions, log, settings } = deps;
  const ttlMs = settings.otpTtlSeconds * 1000;
  const codes = createCodeChecks({ store, hasher, settings });
  const registrations = createRegistrations({ store, maxAttempts: settings.otpMaxAttempts });
  const limits = createLimits({ limiter, clock, log, settings: settings.limits });
  const enumeration = createEnumerationProtection(settings.enumerationProtection);
  const delivery = createCodeDelivery({ senders, limits, log, deliveryTimeoutMs: settings.deliveryTimeoutMs, background: enumeration.enabled });

  function resolveTarget(input: IdentifierInput): Target {
    if (input.channel === 'email') return { channel: 'email', identifier: normaliseEmail(input.identifier), phone: null };
    const phone = parsePhone({ number: input.identifier, countryCode: input.countryCode, defaultCountry: settings.defaultCountry });
    if (phone === undefined) {
      throw new AppError('INVALID_PHONE', { message: 'Include the country code: send country_code or a number starting with +' });
    }
    return { channel: 'phone', identifier: phone.e164, phone };
  }

  async function requestCode(request: CodeRequest): Promise<CodeSent> {
    const target = resolveTarget(request);
    deps.phonePolicy.check(target.phone);
    const profile = completeProfile(readProfile(target.channel, request.profile, phoneCountry(request.countryCode)));
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
      replacing: replacement(settings, clock.now()),
    };
    const sent: CodeSent = {
      channel: target.channel,
      sentTo: target.phone?.national ?? target.identifier,
      expiresInMinutes: Math.ceil(settings.otpTtlSeconds / 60),
    };
    const rendered = messages.render({ channel: target.channel, purpose: request.purpose, code, ttlMinutes: sent.expiresInMinutes, locales: request.locales ?? [] });
    const message = { ...rendered, purpose: request.purpose, codeLength: code.length };
    const save = () => store.saveChallenge(challenge);
    // Sent before it is stored: a resend whose delivery fails leaves the code the customer holds working.
    const failure = await delivery.deliver({ target: sendTarget(target), message, silent, taken, save });
    if (failure === undefined) return sent;
    if (!settings.appDebug) throw new AppError('DELIVERY_FAILED', { cause: failure });
    await save();
    return { ...sent, debugOtp: code };
  }

  async function verifyCode(verification: CodeVerification): Promise<Verified> {
    return verifyChallenge(verification).catch(enumeration.conceal);
  }

  async function verifyChallenge(verification: CodeVerification): Promise<Verified> {
    const sent = readProfile(verification.channel, verification.profile, phoneCountry(verification.countryCode));
    const nowMs = clock.now();
    const challenge = await codes.check(verification, verification.purpose, verification.otp, nowMs, {
      // One round trip: the per-address verify limit and every candidate's lock, before any code is compared.
      beforeCheck: (identifiers) => limits.beforeVerify(verification.clientAddress, identifiers),
      afterWrongGuess: (identifier) => limits.afterWrongGuess(identifier),
    });
    const { customer, warnings } =
      challenge.purpose === 'login'
        ? { customer: await consumeLogin(challenge, nowMs), warnings: [] }
        : await registrations.createAccount(challenge, sent, nowMs);
    await limits.afterVerified(targetOf(challenge));
    const client = { clientAddress: verification.clientAddress, userAgent: verification.userAgent };
    return { ...(await sessions.start(customer, client, nowMs)), profileWarnings: warnings };
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

  return { requestCode, verifyCode, limitRequest: limits.forRequest };
}

export type ChallengeService = ReturnType<typeof createChallengeService>;

function sendTarget(target: Target): SendTarget {
  return { channel: target.channel, identifier: target.identifier, countryCode: target.phone?.countryCode };
}

/** The send target of a pending code: a phone's calling code is its E.164 less its national digits. */
function targetOf(challenge: Challenge): SendTarget {
  const national = challenge.phoneNational ?? '';
  const countryCode = challenge.channel === 'phone' ? challenge.identifier.slice(0, challenge.identifier.length - national.length) : undefined;
  return { channel: challenge.channel, identifier: challenge.identifier, countryCode };
}
