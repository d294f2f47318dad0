import type { Customer } from './ports.js';

/** Only an active account may receive a login code, verify one, or use its token. */
export function customerCanSignIn(customer: Customer): boolean {
  return customer.status === 'active';
}
