// What the API reference says about each route: tag, summary, the error codes it can answer (each
// status with its `code` values, from the one catalogue) and request examples from the spec documents.
// Route schemas stay in schemas.ts; a route's options are `documented(path, {body, response})`.
import { Type, type TSchema } from '@sinclair/typebox';
import { ERRORS, type ErrorCode } from '../errors.js';

interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  errors: ErrorCode[];
  examples?: object[];
}

/** Codes any body-carrying route may answer. */
const BODY_ERRORS: ErrorCode[] = [
  'MALFORMED_REQUEST', 'VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE', 'HEADERS_TOO_LARGE', 'REQUEST_TIMEOUT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR',
];
const REQUEST_ERRORS: ErrorCode[] = [
  ...BODY_ERRORS, 'INVALID_PHONE', 'INVALID_EMAIL', 'COUNTRY_NOT_ALLOWED', 'CAPTCHA_REQUIRED', 'CAPTCHA_FAILED', 'CAPTCHA_UNAVAILABLE', 'OTP_COOLDOWN', 'DELIVERY_FAILED',
  'OTP_SEND_LIMIT', 'IDENTIFIER_LOCKED', 'SMS_BUDGET_EXHAUSTED', 'SMS_COUNTRY_THROTTLED',
];
const TOKEN_ERRORS: ErrorCode[] = ['UNAUTHORIZED', 'ACCOUNT_INACTIVE', 'HEADERS_TOO_LARGE', 'REQUEST_TIMEOUT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'];
const REGISTER_REQUEST: ErrorCode[] = [...REQUEST_ERRORS, 'ALREADY_REGISTERED', 'USERNAME_TAKEN'];
const LOGIN_REQUEST: ErrorCode[] = [...REQUEST_ERRORS, 'ACCOUNT_NOT_FOUND', 'ACCOUNT_INACTIVE'];
const VERIFY_ERRORS: ErrorCode[] = [
  ...BODY_ERRORS, 'INVALID_PHONE', 'INVALID_EMAIL', 'OTP_INVALID', 'OTP_EXPIRED', 'OTP_NOT_FOUND', 'OTP_ATTEMPTS_EXCEEDED', 'IDENTIFIER_LOCKED',
];
const REGISTER_VERIFY: ErrorCode[] = [...VERIFY_ERRORS, 'ALREADY_REGISTERED', 'USERNAME_TAKEN'];
const LOGIN_VERIFY: ErrorCode[] = [...VERIFY_ERRORS, 'ACCOUNT_NOT_FOUND', 'ACCOUNT_INACTIVE'];

// Examples: login-api-v2-otp.md's own bodies; SAL-27 gives none, so the README's are used.
const EMAIL_REQUEST = { type: 'email', identifier: 'john@example.com' };
const PHONE_REQUEST = { type: 'phone', identifier: '1234567890', country_code: '+91' };
const EMAIL_VERIFY = { type: 'email', identifier: 'john@example.com', otp: '123456' };
const PHONE_VERIFY = { type: 'phone', identifier: '1234567890', otp: '123456' };
const V2 = 'login-api-v2';
const SAL27 = 'SAL-27 (phone only)';

const ROUTES: Record<string, RouteDoc> = {
  '/api/v1/auth/register': {
    tags: [V2],
    summary: 'Send a registration code by SMS or email',
    errors: REGISTER_REQUEST,
    examples: [{ ...PHONE_REQUEST, name: 'Asha', username: 'asha' }, EMAIL_REQUEST],
  },
  '/api/v1/auth/resend-registration-otp': {
    tags: [V2],
    summary: 'Send a new registration code (after the 60 s cooldown)',
    errors: REGISTER_REQUEST,
    examples: [PHONE_REQUEST, EMAIL_REQUEST],
  },
  '/api/v1/auth/verify-registration-otp': {
    tags: [V2],
    summary: 'Prove the registration code: creates the account and answers a token',
    errors: REGISTER_VERIFY,
    examples: [{ ...PHONE_REQUEST, otp: '123456' }, EMAIL_VERIFY],
  },
  '/api/v1/auth/login': { tags: [V2], summary: 'Send a login code by SMS or email', errors: LOGIN_REQUEST, examples: [EMAIL_REQUEST, PHONE_REQUEST] },
  '/api/v1/auth/resend-login-otp': {
    tags: [V2],
    summary: 'Send a new login code (after the 60 s cooldown)',
    errors: LOGIN_REQUEST,
    examples: [EMAIL_REQUEST, PHONE_REQUEST],
  },
  '/api/v1/auth/verify-login-otp': {
    tags: [V2],
    summary: 'Prove the login code and receive a token',
    errors: LOGIN_VERIFY,
    examples: [EMAIL_VERIFY, PHONE_VERIFY],
  },
  '/api/v1/auth/customer/register/request-otp': {
    tags: [SAL27],
    summary: 'Send a registration code by SMS; asking again is the resend',
    errors: REGISTER_REQUEST,
    examples: [{ phone: '+919876543210', name: 'Asha' }, { phone: '9876543210', country_code: '+91' }],
  },
  '/api/v1/auth/customer/register/verify-otp': {
    tags: [SAL27],
    summary: 'Prove the registration code: creates the account and answers a token',
    errors: REGISTER_VERIFY,
    examples: [{ phone: '9876543210', otp: '123456' }],
  },
  '/api/v1/auth/customer/login/request-otp': {
    tags: [SAL27],
    summary: 'Send a login code by SMS; asking again is the resend',
    errors: LOGIN_REQUEST,
    examples: [{ phone: '+919876543210' }],
  },
  '/api/v1/auth/customer/login/verify-otp': {
    tags: [SAL27],
    summary: 'Prove the login code and receive a token',
    errors: LOGIN_VERIFY,
    examples: [{ phone: '9876543210', otp: '123456' }],
  },
  '/api/v1/auth/me': {
    tags: ['session'],
    summary: 'The signed-in customer (Authorization: Bearer <token>)',
    errors: TOKEN_ERRORS,
  },
  '/api/v1/auth/refresh': {
    tags: ['session'],
    summary: 'Exchange a refresh token for a new access token and its successor (the old one is spent)',
    errors: [...BODY_ERRORS, 'REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'ACCOUNT_INACTIVE'],
    examples: [{ refresh_token: 'k3Jx...43 base64url characters' }],
  },
  '/api/v1/auth/logout': {
    tags: ['session'],
    summary: 'End the current session (Authorization: Bearer), the one of a refresh token, or every session with all: true',
    errors: [...TOKEN_ERRORS, 'MALFORMED_REQUEST', 'VALIDATION_ERROR'],
    examples: [{}, { all: true }],
  },
  '/api/v1/auth/sessions': {
    tags: ['session'],
    summary: "The caller's live sessions, the current one marked",
    errors: TOKEN_ERRORS,
  },
  '/api/v1/auth/sessions/:id': {
    tags: ['session'],
    summary: "End one of the caller's own sessions (another customer's id is 404)",
    errors: [...TOKEN_ERRORS, 'VALIDATION_ERROR', 'SESSION_NOT_FOUND'],
  },
};

/** One response schema per status, its `code` an enum of the catalogue codes answered with it. */
export function errorResponsesFor(codes: ErrorCode[]): Record<string, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  const responses: Record<string, TSchema> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = Type.Object(
      {
        success: Type.Literal(false),
        message: Type.String(),
        code: Type.Unsafe<string>({ type: 'string', enum: list }),
        request_id: Type.Optional(Type.String({ description: '5xx only: the id the cause was logged under' })),
      },
      { description: list.map((code) => `\`${code}\`: ${ERRORS[code].message}`).join('\n\n') },
    );
  }
  return responses;
}

/** Route options with the reference's tag, summary, error responses and body examples. */
export function documented<S extends { body?: TSchema; response: Record<string, TSchema> }>(path: string, schema: S): S {
  const doc = ROUTES[path];
  if (doc === undefined) throw new Error(`no API reference entry for ${path}`);
  // Typed as the schema given: the additions are documentation, and the body keeps its static type.
  return {
    ...schema,
    tags: doc.tags,
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    ...(schema.body === undefined || doc.examples === undefined ? {} : { body: { ...schema.body, examples: doc.examples } }),
    response: { ...schema.response, ...errorResponsesFor(doc.errors) },
  } as S;
}
