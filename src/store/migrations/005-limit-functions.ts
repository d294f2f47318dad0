import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { createLimitFunctions } from '../limit-functions.js';

// PostgreSQL decides a request's limits in one round trip: the functions limit_lock, limit_decide
// and limit_refund (their text and why: ../limit-functions.ts). SQLite needs none of them.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration works on the schema as it was then
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await createLimitFunctions(db);
}
