// The spec's response shapes and messages, verbatim.
import type { CodeSent, Verified } from '../domain/challenges.js';
import type { Customer, Purpose, Session } from '../domain/ports.js';
import type { SignedIn } from '../domain/sessions.js';

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

export function signedInJson(verified: Verified, purpose: Purpose) {
  return {
    success: true as const,
    message: purpose === 'login' ? 'Login successful! Welcome back.' : 'Registration successful! Welcome.',
    data: {
      ...tokensJson(verified),
      ...(verified.profileWarnings.length === 0 ? {} : { profile_warnings: verified.profileWarnings }),
    },
  };
}

/** A refresh answers in the shape of a verify. */
export function refreshedJson(signedIn: SignedIn) {
  return { success: true as const, message: 'Token refreshed', data: tokensJson(signedIn) };
}

function tokensJson(signedIn: SignedIn) {
  return {
    customer: customerJson(signedIn.customer),
    access_token: signedIn.accessToken,
    token_type: 'bearer' as const,
    expires_in: signedIn.expiresInSeconds,
    refresh_token: signedIn.refreshToken,
    refresh_expires_in: signedIn.refreshExpiresInSeconds,
  };
}

export function sessionsJson(sessions: Session[], currentId: string) {
  return {
    success: true as const,
    message: 'Active sessions',
    data: {
      sessions: sessions.map((session) => ({
        id: session.id,
        current: session.id === currentId,
        created_at: new Date(session.createdAtMs).toISOString(),
        last_used_at: new Date(session.lastUsedAtMs).toISOString(),
        expires_at: new Date(session.expiresAtMs).toISOString(),
        user_agent: session.userAgent,
        client_ip: session.clientAddress,
      })),
    },
  };
}
