#!/usr/bin/env node
// customer-auth <command>: the operator's tool, with the service's own configuration and store.
//   npm run cli -- customers show +919876543210      npx customer-auth customers block 42 --json
// Exit 0 on success, 1 on a usage error or a customer not found (the message on stderr).
import './supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { database, defaultCountryOf, describeStartupError } from './config.js';
import { createAdmin, LookupError } from './domain/admin.js';
import type { Customer, CustomerStatus } from './domain/ports.js';
import { customerJson } from './http/present.js';
import { createLogger } from './observability/logger.js';
import { createSecurityLog } from './observability/security-log.js';
import { createAdminStore } from './store/admin-store.js';
import { createSessionStore } from './store/sessions-store.js';
import { createDatabase } from './store/database.js';
import { packageVersion } from './version.js';

const STATUSES: CustomerStatus[] = ['active', 'inactive', 'blocked'];
const COLUMNS = ['id', 'status', 'phone_e164', 'email', 'username', 'name', 'created_at'] as const;

function positiveInt(label: string, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new InvalidArgumentError(`${label} must be a whole number from 1 to ${max}`);
    return Number(raw);
  };
}

function table(customers: Customer[]): string {
  const rows = customers.map((customer) => {
    const json = customerJson(customer);
    return COLUMNS.map((column) => String(json[column] ?? '-'));
  });
  const widths = COLUMNS.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

function printMany(customers: Customer[], json: boolean): void {
  if (json) console.log(JSON.stringify(customers.map(customerJson)));
  else console.log(customers.length === 0 ? 'no customers' : table(customers));
}

function printOne(customer: Customer, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) console.log(JSON.stringify({ ...customerJson(customer), ...extra }));
  else console.log(table([customer]));
}

/** Opens the configured database for one admin command and closes it after. */
async function withAdmin<T>(work: (admin: ReturnType<typeof createAdmin>) => Promise<T>): Promise<T> {
  const handle = await createDatabase(database(process.env));
  // Security events (account_blocked...) go to stderr as JSON lines, like the service's log.
  const log = createLogger({ logLevel: 'info', logFormat: 'json' }, pino.destination(2));
  try {
    const admin = createAdmin({
      store: createAdminStore(handle),
      sessions: { revokeAllSessions: (customerId, nowMs) => createSessionStore(handle).revokeCustomerSessions(customerId, nowMs) },
      clock: { now: () => Date.now() },
      events: createSecurityLog(log),
      defaultCountry: defaultCountryOf(process.env),
    });
    return await work(admin);
  } finally {
    await handle.close();
  }
}

const program = new Command('customer-auth')
  .description('Passwordless OTP authentication service: run it, migrate it, look up and block customers.\nReads the same environment as the service (DATABASE_URL, DEFAULT_COUNTRY...).')
  .version(packageVersion())
  .showHelpAfterError();

program
  .command('serve')
  .description('start the service (the same as npm start without the build)')
  .action(async () => {
    await import('./server.js');
  });

program
  .command('migrate')
  .description('bring the database named by DATABASE_URL up to date, then exit')
  .action(async () => {
    await import('./migrate.js');
  });

const customers = program.command('customers').description('look up, list, block and unblock customers');
const jsonOption = () => new Option('--json', 'print JSON instead of a table');

customers
  .command('list')
  .description('list customers, newest first')
  .addOption(new Option('--status <status>', 'only customers with this status').choices(STATUSES))
  .addOption(new Option('--limit <n>', 'at most this many').default(50).argParser(positiveInt('--limit', 10_000)))
  .addOption(jsonOption())
  .action(async (options: { status?: CustomerStatus; limit: number; json?: boolean }) => {
    const found = await withAdmin((admin) => admin.listCustomers({ limit: options.limit, ...(options.status === undefined ? {} : { status: options.status }) }));
    printMany(found, options.json === true);
  });

customers
  .command('show')
  .description('show one customer')
  .argument('<id|phone|email>', 'an id, an email address, or a phone number in any spelling (a national one needs DEFAULT_COUNTRY or is looked up in every country)')
  .addOption(jsonOption())
  .action(async (query: string, options: { json?: boolean }) => {
    const customer = await withAdmin((admin) => admin.findCustomer(query));
    printOne(customer, options.json === true);
  });

for (const [name, description] of [
  ['block', 'block a customer: no code, no sign-in, every token refused and every session revoked'],
  ['unblock', 'make a blocked customer active again'],
] as const) {
  customers
    .command(name)
    .description(description)
    .argument('<id>', 'the customer id', positiveInt('<id>', Number.MAX_SAFE_INTEGER))
    .addOption(jsonOption())
    .action(async (id: number, options: { json?: boolean }) => {
      const { customer, sessionsRevoked } = await withAdmin((admin) => (name === 'block' ? admin.block(id) : admin.unblock(id)));
      if (options.json === true) printOne(customer, true, sessionsRevoked === undefined ? {} : { sessions_revoked: sessionsRevoked });
      else console.log(`customer ${customer.id} is now ${customer.status}${sessionsRevoked === undefined ? '' : `; ${sessionsRevoked} sessions revoked`}`);
    });
}

program
  .command('sessions')
  .description('manage customers\' sessions')
  .command('revoke')
  .description('end every live session of a customer: refresh tokens stop working and access tokens are refused at once')
  .argument('<customer-id>', 'the customer id', positiveInt('<customer-id>', Number.MAX_SAFE_INTEGER))
  .addOption(jsonOption())
  .action(async (id: number, options: { json?: boolean }) => {
    const revoked = await withAdmin((admin) => admin.revokeSessions(id));
    console.log(options.json === true ? JSON.stringify({ customer_id: id, sessions_revoked: revoked }) : `${revoked} sessions of customer ${id} revoked`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(error instanceof LookupError ? `customer-auth: ${error.message}` : describeStartupError(error));
  process.exitCode = 1;
}
