// The spec's response shapes and messages, verbatim.
import type { CodeSent, SignedIn } from '../domain/challenges.js';
import type { Customer, Purpose } from '../domain/ports.js';

export function customerJson(customer: Customer) {
  return {
    id: customer.id,
    username: customer.username,
    name: customer.name,
    email: customer.email,
    phone: customer.phoneNational,
    country_code: customer.countryCode,
    phone_e164: customer.phoneE164,
    phone_validate: customer.phoneValidated,
    email_validate: customer.emailValidated,
    status: customer.status,
    created_at: new Date(customer.createdAtMs).toISOString(),
  };
}

export function codeSentJson(sent: CodeSent, purpose: Purpose, resend: boolean) {
  return {
    success: true as const,
    message: `OTP ${resend ? 'resent' : 'sent'} successfully to your ${sent.channel}`,
    data: {
      [sent.channel]: sent.sentTo,
      expires_in_minutes: sent.expiresInMinutes,
      message: purpose === 'login' ? 'Please verify OTP to login' : 'Please verify OTP to complete registration',
      ...(sent.debugOtp === undefined ? {} : { otp: sent.debugOtp }),
    },
  };
}

export function signedInJson(signedIn: SignedIn, purpose: Purpose) {
  return {
    success: true as const,
    message: purpose === 'login' ? 'Login successful! Welcome back.' : 'Registration successful! Welcome.',
    data: {
      customer: customerJson(signedIn.customer),
      access_token: signedIn.accessToken,
      token_type: 'bearer' as const,
      expires_in: signedIn.expiresInSeconds,
      ...(signedIn.profileWarnings.length === 0 ? {} : { profile_warnings: signedIn.profileWarnings }),
    },
  };
}
