// TypeBox schemas for every route: request validation and (later) OpenAPI from one source.
// Strings stay strings: Ajv runs without type coercion, and unknown body fields are dropped.
import { Type, type Static } from '@sinclair/typebox';

const CountryCode = Type.String({ pattern: '^\\+?[0-9]{1,4}$', description: 'Calling code, "+91" or "91"' });
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001F\\u007F]+$', description: 'No control characters (PostgreSQL text cannot hold NUL)' });
const Username = Type.String({ pattern: '^[A-Za-z0-9_.-]{3,30}$', description: '3 to 30 letters, digits, _ . -' });
const EmailText = Type.String({ minLength: 3, maxLength: 254 });
const PhoneText = Type.String({ minLength: 4, maxLength: 32, description: '+E.164, or a national number with country_code' });
const CaptchaToken = Type.String({ minLength: 1, maxLength: 8192, description: 'The captcha widget\'s token (required when CAPTCHA_PROVIDER is set)' });
const Locale = Type.String({
  minLength: 2,
  maxLength: 35,
  pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
  description: 'BCP 47 language tag for the message ("hi", "hi-IN"); one the service has no templates for falls back, never an error',
});
const IdentifierType = Type.Union([Type.Literal('phone'), Type.Literal('email')]);

export function buildSchemas(otpLength: number) {
  const Otp = Type.String({ pattern: `^[0-9]{${otpLength}}$`, description: `${otpLength} ASCII digits` });

  const identify = {
    type: IdentifierType,
    identifier: Type.String({ minLength: 1, maxLength: 254, description: 'Phone number or email address' }),
    country_code: Type.Optional(CountryCode),
  };
  const profile = {
    name: Type.Optional(Name),
    username: Type.Optional(Username),
    email: Type.Optional(EmailText),
  };
  /** On the routes that send a code. */
  const captcha = { captcha_token: Type.Optional(CaptchaToken) };

  return {
    /** login-api-v2: /login, /resend-login-otp */
    RequestBody: Type.Object({ ...identify, ...captcha, locale: Type.Optional(Locale) }, { additionalProperties: false }),
    /** login-api-v2: /register, /resend-registration-otp (phone: an unverified phone for an email registration) */
    RegisterBody: Type.Object({ ...identify, ...profile, ...captcha, phone: Type.Optional(PhoneText), locale: Type.Optional(Locale) }, { additionalProperties: false }),
    /** login-api-v2: /verify-login-otp */
    VerifyBody: Type.Object({ ...identify, otp: Otp }, { additionalProperties: false }),
    /** login-api-v2: /verify-registration-otp; profile fields sent here win over those sent with the code */
    RegisterVerifyBody: Type.Object({ ...identify, otp: Otp, ...profile, phone: Type.Optional(PhoneText) }, { additionalProperties: false }),
    /** SAL-27: /customer/login/request-otp */
    PhoneRequestBody: Type.Object({ phone: PhoneText, country_code: Type.Optional(CountryCode), ...captcha, locale: Type.Optional(Locale) }, { additionalProperties: false }),
    /** SAL-27: /customer/register/request-otp */
    PhoneRegisterBody: Type.Object(
      { phone: PhoneText, country_code: Type.Optional(CountryCode), ...profile, ...captcha, locale: Type.Optional(Locale) },
      { additionalProperties: false },
    ),
    /** SAL-27: /customer/login/verify-otp */
    PhoneVerifyBody: Type.Object({ phone: PhoneText, country_code: Type.Optional(CountryCode), otp: Otp }, { additionalProperties: false }),
    /** SAL-27: /customer/register/verify-otp; profile fields sent here win over those sent with the code */
    PhoneRegisterVerifyBody: Type.Object(
      { phone: PhoneText, country_code: Type.Optional(CountryCode), otp: Otp, ...profile },
      { additionalProperties: false },
    ),
  };
}

export type Schemas = ReturnType<typeof buildSchemas>;
export type RegisterBody = Static<Schemas['RegisterBody']>;
export type RegisterVerifyBody = Static<Schemas['RegisterVerifyBody']>;

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const CustomerSchema = Type.Object({
  id: Type.Integer(),
  username: Nullable(Type.String()),
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String({ description: 'National number' })),
  country_code: Nullable(Type.String({ description: '"+91"' })),
  phone_e164: Nullable(Type.String()),
  phone_validate: Type.Boolean(),
  email_validate: Type.Boolean(),
  status: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export const ErrorEnvelope = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  code: Type.String(),
  request_id: Type.Optional(Type.String()),
});

function envelope<T extends ReturnType<typeof Type.Object>>(data: T) {
  return Type.Object({ success: Type.Literal(true), message: Type.String(), data });
}

export const CodeSentEnvelope = envelope(
  Type.Object({
    phone: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    expires_in_minutes: Type.Integer(),
    message: Type.String(),
    otp: Type.Optional(Type.String({ description: 'APP_DEBUG only, and only when delivery failed' })),
  }),
);

export const SignedInEnvelope = envelope(
  Type.Object({
    customer: CustomerSchema,
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer(),
    refresh_token: Type.Optional(Type.String({ description: 'Opaque; spent by POST /api/v1/auth/refresh, which answers its successor. Absent in cookie mode (X-Session-Mode: cookie): it is in the httpOnly cookie' })),
    refresh_expires_in: Type.Integer(),
    profile_warnings: Type.Optional(
      Type.Array(
        Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() }),
        { description: 'Registration only, and only when a profile field stored with the code was left off the account' },
      ),
    ),
  }),
);

export const MeEnvelope = envelope(Type.Object({ customer: CustomerSchema }));

export const errorResponses = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope };

// Sessions: refresh, logout, the list of a customer's sessions.
const RefreshTokenText = Type.String({ minLength: 1, maxLength: 512 });

/** refresh_token may be left out in cookie mode (X-Session-Mode: cookie), which reads it from the cookie. */
export const RefreshBody = Type.Object({ refresh_token: Type.Optional(RefreshTokenText) }, { additionalProperties: false });

export const LogoutBody = Type.Object(
  {
    refresh_token: Type.Optional(RefreshTokenText),
    all: Type.Optional(Type.Boolean({ description: 'End every session of the customer' })),
  },
  { additionalProperties: false },
);

export const SessionParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export const LogoutEnvelope = envelope(Type.Object({ sessions_ended: Type.Integer() }));

export const SessionEndedEnvelope = envelope(Type.Object({ id: Type.String() }));

export const SessionsEnvelope = envelope(
  Type.Object({
    sessions: Type.Array(
      Type.Object({
        id: Type.String(),
        current: Type.Boolean({ description: 'The session of the access token that asked' }),
        created_at: Type.String({ format: 'date-time' }),
        last_used_at: Type.String({ format: 'date-time', description: 'Sign-in or latest refresh' }),
        expires_at: Type.String({ format: 'date-time' }),
        user_agent: Nullable(Type.String()),
        client_ip: Nullable(Type.String()),
      }),
    ),
  }),
);
