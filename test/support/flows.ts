// Small helpers for the HTTP suites: fresh identifiers, the two endpoint families, whole flows
// (ask, read the code from the fake provider, verify), the error envelope, and direct database
// access (statuses, row counts) for either backend.
import SQLite from 'better-sqlite3';
import { expect } from 'vitest';
import { withClient } from './backends.js';
import type { Answer, Service } from './service.js';

export const V2 = {
  register: '/api/v1/auth/register',
  verifyRegistration: '/api/v1/auth/verify-registration-otp',
  resendRegistration: '/api/v1/auth/resend-registration-otp',
  login: '/api/v1/auth/login',
  verifyLogin: '/api/v1/auth/verify-login-otp',
  resendLogin: '/api/v1/auth/resend-login-otp',
} as const;

export const SAL27 = {
  registerRequest: '/api/v1/auth/customer/register/request-otp',
  registerVerify: '/api/v1/auth/customer/register/verify-otp',
  loginRequest: '/api/v1/auth/customer/login/request-otp',
  loginVerify: '/api/v1/auth/customer/login/verify-otp',
} as const;

export const ME = '/api/v1/auth/me';

export const COOLDOWN_MS = 60_000;
export const OTP_TTL_MS = 600_000;

export interface Phone {
  /** "+9198765xxxxx" */
  e164: string;
  /** "98765xxxxx" */
  national: string;
}

let phoneSequence = 0;
let emailSequence = 0;

/** A valid Indian mobile number not used before in this process. */
export function newPhone(): Phone {
  phoneSequence += 1;
  const national = `98765${String(phoneSequence).padStart(5, '0')}`;
  return { e164: `+91${national}`, national };
}

/** A valid email address not used before in this process (lower case). */
export function newEmail(label = 'customer'): string {
  emailSequence += 1;
  return `${label}.${emailSequence}@example.com`;
}

/** A 6-digit code that is certainly not `code`. */
export function otherCode(code: string, offset = 1): string {
  const value = (Number(code) + offset) % 1_000_000;
  return String(value).padStart(code.length, '0');
}

/** The code in the last SMS the fake Twilio received for this E.164 number. */
export function smsCode(service: Service, e164: string): string {
  const code = service.twilio.latestCode(e164);
  if (code === undefined) throw new Error(`no SMS with a code reached ${e164}`);
  return code;
}

/** The code in the last email the fake SMTP server received for this address. */
export function emailCode(service: Service, email: string): string {
  const code = service.smtp.latestCode(email);
  if (code === undefined) throw new Error(`no email with a code reached ${email}`);
  return code;
}

export function smsCount(service: Service, e164: string): number {
  return service.twilio.messages.filter((message) => message.to === e164).length;
}

export function emailCount(service: Service, email: string): number {
  return service.smtp.messages.filter((message) => message.to.includes(email)).length;
}

/** Asserts the status and that the body is exactly the error envelope with this code. */
export function expectError(answer: Answer, status: number, code: string): void {
  const shown = JSON.stringify(answer.body);
  expect(answer.status, shown).toBe(status);
  expect(answer.headers.get('content-type') ?? '', shown).toMatch(/^application\/json/);
  const expected: Record<string, unknown> = { success: false, message: expect.any(String), code };
  // A 5xx carries the request id, so support can find the logged cause.
  if (status >= 500) expected.request_id = expect.any(String);
  expect(answer.body).toStrictEqual(expected);
  expect((answer.body as { message: string }).message.length).toBeGreaterThan(0);
}

/** Parallel answers counted by "status code" ("201 ok" for a success), for one readable assertion. */
export function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = `${answer.status} ${answer.body?.code ?? 'ok'}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function expectStatus(answer: Answer, status: number): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
}

export interface SignedIn {
  token: string;
  refreshToken: string;
  customer: Record<string, unknown> & { id: number };
}

function signedIn(answer: Answer, status: number): SignedIn {
  expectStatus(answer, status);
  return { token: answer.body.data.access_token as string, refreshToken: answer.body.data.refresh_token as string, customer: answer.body.data.customer };
}

/** Registers a phone through login-api-v2 and returns the token and customer. */
export async function registerPhone(service: Service, phone: Phone = newPhone(), profile: Record<string, unknown> = {}): Promise<SignedIn & { phone: Phone }> {
  const asked = await service.post(V2.register, { type: 'phone', identifier: phone.e164, ...profile });
  expectStatus(asked, 200);
  const verified = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
  return { ...signedIn(verified, 201), phone };
}

/** Registers an email through login-api-v2 and returns the token and customer. */
export async function registerEmail(service: Service, email: string = newEmail(), profile: Record<string, unknown> = {}): Promise<SignedIn & { email: string }> {
  const asked = await service.post(V2.register, { type: 'email', identifier: email, ...profile });
  expectStatus(asked, 200);
  const verified = await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: emailCode(service, email) });
  return { ...signedIn(verified, 201), email };
}

/** Logs a phone in through login-api-v2 (the cooldown for that number must be free). */
export async function loginPhone(service: Service, phone: Phone): Promise<SignedIn> {
  const asked = await service.post(V2.login, { type: 'phone', identifier: phone.e164 });
  expectStatus(asked, 200);
  const verified = await service.post(V2.verifyLogin, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
  return signedIn(verified, 200);
}

/** Logs an email in through login-api-v2 (the cooldown for that address must be free). */
export async function loginEmail(service: Service, email: string): Promise<SignedIn> {
  const asked = await service.post(V2.login, { type: 'email', identifier: email });
  expectStatus(asked, 200);
  const verified = await service.post(V2.verifyLogin, { type: 'email', identifier: email, otp: emailCode(service, email) });
  return signedIn(verified, 200);
}

type Row = Record<string, unknown>;

/**
 * Runs one SQL statement on the service's own database, behind its back. Placeholders are `?`
 * (rewritten to $1, $2... for PostgreSQL). Returns the rows (none for a statement without).
 */
export async function sql(service: Service, text: string, params: unknown[] = []): Promise<Row[]> {
  if (service.database.kind === 'sqlite') {
    const db = new SQLite(service.database.url.slice('sqlite:'.length), { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      const statement = db.prepare(text);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    } finally {
      db.close();
    }
  }
  let index = 0;
  const numbered = text.replace(/\?/g, () => `$${++index}`);
  return withClient(service.database.url, async (client) => (await client.query(numbered, params)).rows as Row[]);
}

export async function setCustomerStatus(service: Service, customerId: number, status: 'active' | 'inactive' | 'blocked'): Promise<void> {
  await sql(service, 'update customers set status = ? where id = ?', [status, customerId]);
}

export async function countRows(service: Service, table: 'customers' | 'otp_challenges', where: string, params: unknown[]): Promise<number> {
  const rows = await sql(service, `select count(*) as n from ${table} where ${where}`, params);
  return Number(rows[0]?.n);
}

export const REFRESH = '/api/v1/auth/refresh';
export const LOGOUT = '/api/v1/auth/logout';
export const SESSIONS = '/api/v1/auth/sessions';
export const JWKS = '/.well-known/jwks.json';

/** What every verify (and refresh) answer carries besides the access token, with the default 30-day lifetime. */
export const REFRESH_FIELDS = { refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/), refresh_expires_in: 30 * 24 * 3600 };
