// Security events as log lines with a stable `event` field, for alerting and audit. Nothing here
// carries a code, a token or an identifier: a customer is named by id, a place by calling code.
import type { Events, Log } from '../domain/ports.js';

/** Refusals that are limits doing their job; OTP_ATTEMPTS_EXCEEDED is told by the verify itself. */
const LIMIT_CODES_BESIDES_429 = new Set(['SMS_BUDGET_EXHAUSTED', 'IDENTIFIER_LOCKED']);

export function createSecurityLog(log: Log): Events {
  const nothing = () => {};
  return {
    codeRequested: nothing,
    codeDelivered: nothing,
    codeFailed: nothing,
    verification(outcome, context) {
      if (outcome === 'success') return;
      if (outcome === 'attempts_exceeded') log.warn({ event: 'attempts_exceeded', ...context }, 'code attempts exceeded');
      else log.info({ event: 'sign_in_failed', reason: outcome, ...context }, 'verify refused');
    },
    registration: (context) => log.info({ event: 'registration_succeeded', ...context }, 'account registered'),
    login: (context) => log.info({ event: 'sign_in_succeeded', ...context }, 'signed in'),
    refusal(code, status) {
      if (code === 'IDENTIFIER_LOCKED') log.warn({ event: 'identifier_locked', code }, 'identifier locked');
      else if (code === 'ACCOUNT_INACTIVE') log.info({ event: 'inactive_account_refused', code }, 'account not active');
      else if (code !== 'OTP_ATTEMPTS_EXCEEDED' && (status === 429 || LIMIT_CODES_BESIDES_429.has(code))) {
        log.warn({ event: 'limit_tripped', code }, 'limit tripped');
      }
    },
    refresh(outcome, context) {
      if (outcome === 'reuse') log.warn({ event: 'refresh_token_reused', ...context }, 'refresh token reused: session revoked');
    },
    accountStatusChanged(context) {
      const event = context.status === 'blocked' ? 'account_blocked' : `account_${context.status === 'active' ? 'unblocked' : context.status}`;
      log.warn({ event, customerId: context.customerId }, `account status set to ${context.status}`);
    },
  };
}

/** Every event to each listener in turn (metrics, then the security log). */
export function fanOut(...listeners: Events[]): Events {
  const each =
    <K extends keyof Events>(key: K) =>
    (...args: Parameters<Events[K]>) => {
      for (const listener of listeners) (listener[key] as (...a: Parameters<Events[K]>) => void)(...args);
    };
  return {
    codeRequested: each('codeRequested'),
    codeDelivered: each('codeDelivered'),
    codeFailed: each('codeFailed'),
    verification: each('verification'),
    registration: each('registration'),
    login: each('login'),
    refusal: each('refusal'),
    refresh: each('refresh'),
    accountStatusChanged: each('accountStatusChanged'),
  };
}
