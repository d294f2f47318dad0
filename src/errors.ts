// The error catalogue: every code a client can branch on, with its HTTP status and public message.
// Clients branch on `code`, never on the message. Causes are logged, never sent.

export const ERRORS = {
  MALFORMED_REQUEST: { status: 400, message: 'Request body must be a JSON object' },
  VALIDATION_ERROR: { status: 422, message: 'The request is invalid' },
  INVALID_PHONE: { status: 422, message: 'The phone number is not valid' },
  INVALID_EMAIL: { status: 422, message: 'The email address is not valid' },
  COUNTRY_NOT_ALLOWED: { status: 422, message: 'Codes cannot be sent to phone numbers in this country' },
  CAPTCHA_REQUIRED: { status: 400, message: 'Please complete the captcha: captcha_token is required' },
  CAPTCHA_FAILED: { status: 403, message: 'The captcha was not solved or has expired. Please try again.' },
  ALREADY_REGISTERED: { status: 409, message: 'An account with this identifier already exists. Please log in.' },
  USERNAME_TAKEN: { status: 409, message: 'This username is already taken' },
  ACCOUNT_NOT_FOUND: { status: 404, message: 'No account found with this identifier. Please register first.' },
  ACCOUNT_INACTIVE: { status: 403, message: 'Your account is not active. Please contact support.' },
  OTP_COOLDOWN: { status: 429, message: 'Please wait before requesting a new OTP' },
  RATE_LIMITED: { status: 429, message: 'Too many requests. Please try again later.' },
  OTP_SEND_LIMIT: { status: 429, message: 'Too many codes were sent to this identifier. Please try again later.' },
  IDENTIFIER_LOCKED: { status: 429, message: 'Too many wrong codes for this identifier. Please try again later.' },
  OTP_INVALID: { status: 400, message: 'Invalid OTP' },
  OTP_EXPIRED: { status: 400, message: 'OTP has expired. Please request a new one.' },
  OTP_NOT_FOUND: { status: 400, message: 'No pending OTP found. Please request a new one.' },
  OTP_ATTEMPTS_EXCEEDED: { status: 429, message: 'Too many failed attempts. Please request a new OTP.' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid access token' },
  REFRESH_TOKEN_INVALID: { status: 401, message: 'The refresh token is not valid. Please sign in again.' },
  REFRESH_TOKEN_REUSED: { status: 401, message: 'This refresh token was already used: the session has been ended. Please sign in again.' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'Cookie-mode requests must come from this service\'s own origin or an allowed one' },
  SESSION_NOT_FOUND: { status: 404, message: 'No such session' },
  WEBHOOK_SIGNATURE_INVALID: { status: 403, message: 'The request signature is missing or invalid' },
  NOT_FOUND: { status: 404, message: 'Route not found' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  DELIVERY_FAILED: { status: 503, message: 'We could not send the OTP right now. Please try again shortly.' },
  CAPTCHA_UNAVAILABLE: { status: 503, message: 'The captcha could not be checked right now. Please try again shortly.' },
  SMS_BUDGET_EXHAUSTED: { status: 503, message: 'We cannot send text messages right now. Please try again later or use email.' },
  SMS_COUNTRY_THROTTLED: { status: 503, message: 'We cannot send text messages to this country right now. Please try again later or use email.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable. Please try again shortly.' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: { message?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(options.message ?? ERRORS[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = options.headers ?? {};
  }
}

/** A refusal with Retry-After in whole seconds (at least 1). */
export function tooSoon(
  code: 'OTP_COOLDOWN' | 'RATE_LIMITED' | 'OTP_SEND_LIMIT' | 'IDENTIFIER_LOCKED' | 'SMS_BUDGET_EXHAUSTED' | 'SMS_COUNTRY_THROTTLED',
  retryAfterMs: number,
): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const message = code === 'OTP_COOLDOWN' ? `Please wait ${seconds} seconds before requesting a new OTP` : undefined;
  return new AppError(code, { message, headers: { 'retry-after': String(seconds) } });
}
