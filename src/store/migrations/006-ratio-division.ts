import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { createLimitFunctions } from '../limit-functions.js';

// The conversion guard's ratio comparison is a division in every engine (successes / events below
// the ratio), not a product: 0.55 * 100 is 55.000...01 in IEEE doubles, so TypeScript and Lua
// called 55 of 100 fewer than 55%, and PostgreSQL's numeric did not. limit_decide is replaced
// with the float8 division, so the three engines decide alike (test/unit/limit-engines.test.ts).

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration works on the schema as it was then
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await createLimitFunctions(db);
}
