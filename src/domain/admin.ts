// What an operator may do without SQL: list and look up accounts, block and unblock them.
// Blocking ends every session too (SessionRevoker); a blocked account's
// tokens are already refused at /me, which checks the status on every call.
import { AppError } from '../errors.js';
import { nationalCandidates, normaliseEmail, parsePhone } from './identifiers.js';
import type { AdminStore, Clock, Customer, CustomerStatus, Events, SessionRevoker } from './ports.js';

export class LookupError extends Error {
  override readonly name = 'LookupError';
}

export interface AdminDeps {
  store: AdminStore;
  clock: Clock;
  events: Pick<Events, 'accountStatusChanged'>;
  sessions: SessionRevoker;
  defaultCountry: string | undefined;
}

/** An id is what a database id looks like; anything longer is read as a phone number. */
const ID = /^[1-9]\d{0,8}$/;

export function createAdmin(deps: AdminDeps) {
  const { store, clock, events, sessions } = deps;

  /** An id, an email, or a phone number in any spelling (+91 98765-43210, 098765 43210 with DEFAULT_COUNTRY...). */
  async function findCustomer(query: string): Promise<Customer> {
    const text = query.trim();
    if (text.includes('@')) return found(await store.findCustomerByIdentifier('email', normaliseEmail(text)), text);
    if (ID.test(text)) {
      const byId = await store.findCustomerById(Number(text));
      if (byId !== undefined) return byId;
    }
    let phone;
    try {
      phone = parsePhone({ number: text, defaultCountry: deps.defaultCountry });
    } catch (error) {
      if (error instanceof AppError) {
        throw new LookupError(ID.test(text) ? `no customer matches ${text}` : `"${text}" is not an id, an email address or a phone number`);
      }
      throw error;
    }
    if (phone !== undefined) return found(await store.findCustomerByIdentifier('phone', phone.e164), text);
    const matches = await store.findCustomersByNational(nationalCandidates(text));
    if (matches.length > 1) throw new LookupError(`${matches.length} customers have the number ${text} in different countries: add the country code`);
    return found(matches[0], text);
  }

  async function setStatus(id: number, status: CustomerStatus): Promise<{ customer: Customer; sessionsRevoked: number | undefined }> {
    const nowMs = clock.now();
    const customer = await store.setCustomerStatus(id, status, nowMs);
    if (customer === undefined) throw new LookupError(`no customer with id ${id}`);
    const sessionsRevoked = status === 'blocked' ? await sessions.revokeAllSessions(id, nowMs) : undefined;
    events.accountStatusChanged({ customerId: id, status });
    return { customer, sessionsRevoked };
  }

  return {
    listCustomers: (filter: { status?: CustomerStatus; limit: number }) => store.listCustomers(filter),
    findCustomer,
    block: (id: number) => setStatus(id, 'blocked'),
    unblock: (id: number) => setStatus(id, 'active'),
    /** Ends every live session of the customer (their refresh tokens stop working, their access tokens are refused). */
    async revokeSessions(id: number): Promise<number> {
      if ((await store.findCustomerById(id)) === undefined) throw new LookupError(`no customer with id ${id}`);
      return sessions.revokeAllSessions(id, clock.now());
    },
  };
}

function found(customer: Customer | undefined, query: string): Customer {
  if (customer === undefined) throw new LookupError(`no customer matches ${query}`);
  return customer;
}
