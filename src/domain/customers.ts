import { AppError } from '../errors.js';
import type { Channel, Customer, Purpose, RegistrationProfile, Store } from './ports.js';

/** Only an active account may receive a login code, verify one, or use its token. */
export function customerCanSignIn(customer: Customer): boolean {
  return customer.status === 'active';
}

/**
 * Why the account state refuses a code request, or undefined when it may go on. The username is
 * only checked here when `checkUsername` (enumeration protection leaves it to the verify).
 */
export async function accountRefusal(
  store: Store,
  request: { purpose: Purpose; channel: Channel; identifier: string; profile: RegistrationProfile; checkUsername: boolean },
): Promise<AppError | undefined> {
  const existing = await store.findCustomerByIdentifier(request.channel, request.identifier);
  if (request.purpose === 'register') {
    if (existing !== undefined) return new AppError('ALREADY_REGISTERED');
    const { username } = request.profile;
    if (request.checkUsername && username !== null && (await store.isUsernameTaken(username))) return new AppError('USERNAME_TAKEN');
    return undefined;
  }
  if (existing === undefined) return new AppError('ACCOUNT_NOT_FOUND');
  if (!customerCanSignIn(existing)) return new AppError('ACCOUNT_INACTIVE');
  return undefined;
}
