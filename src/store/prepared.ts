// Queries built and compiled by Kysely once, at start-up, with named placeholders; a request only
// binds its values. Kysely would otherwise rebuild and recompile every query on every call, and
// (on SQLite, with the statement cache in database.ts) the SQL text stays the same, so the
// database's prepared statement is reused too. On SQLite a query outside a transaction skips
// Kysely's executor altogether: its own prepared statement runs at once, through the group
// commit (which holds it back while a registration's transaction is open, as Kysely's connection
// lock would). That executor (plugins, connection lock, promises) cost about as much as a point
// lookup itself.
import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Compilable, type QueryResult, type Kysely } from 'kysely';
import type { DatabaseHandle } from './database.js';
import type { Database } from './schema.js';

// A value no caller can send: it marks where a named argument goes in the compiled parameters.
const MARK = '\u0000arg:';

type Slot = { name: string } | { value: unknown };

const WRITE = /^\s*(insert|update|delete)\b/i;

/**
 * Run on the database, a write resolves only once it is committed (durable); run on a transaction
 * (`executor`), the caller waits for the transaction's commit instead.
 */
export interface PreparedQuery<Args, Row> {
  /** Rows of a select or of a RETURNING clause; on `executor` (a transaction) when given. */
  execute(args: Args, executor?: Kysely<Database>): Promise<Row[]>;
  /** The number of rows a statement without RETURNING changed. */
  run(args: Args, executor?: Kysely<Database>): Promise<number>;
  /**
   * SQLite only, inside `handle.sqlite.atomically(work, 'steps')`: runs at once, synchronously, as
   * one of the step's statements; the rows of a select or RETURNING (none for other writes). The
   * caller awaits `handle.durable()` after the step.
   */
  inStep(args: Args): Row[];
}

export function prepareQuery<Args extends Record<string, unknown>, Row>(
  handle: DatabaseHandle,
  build: (arg: <K extends keyof Args & string>(name: K) => Args[K]) => Compilable<Row>,
): PreparedQuery<Args, Row> {
  const { db } = handle;
  const compiled = build((name) => `${MARK}${name}` as never).compile();
  const write = WRITE.test(compiled.sql);
  const slots: Slot[] = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { value },
  );
  const values = (args: Args) => slots.map((slot) => ('name' in slot ? args[slot.name] : slot.value));
  const bind = (args: Args) => CompiledQuery.raw(compiled.sql, values(args));

  let statement: SQLite.Statement | undefined; // prepared on first use, as Kysely's are
  function runDirect(sqlite: NonNullable<DatabaseHandle['sqlite']>, args: Args): QueryResult<Row> {
    statement ??= sqlite.prepare(compiled.sql);
    if (statement.reader) return { rows: statement.all(values(args)) as Row[] };
    return { rows: [], numAffectedRows: BigInt(statement.run(values(args)).changes) };
  }

  async function executeQuery(args: Args, executor: Kysely<Database> | undefined) {
    const { sqlite } = handle;
    if (sqlite !== undefined && executor === undefined) {
      const result = await sqlite.atomically(() => runDirect(sqlite, args), write ? 'write' : 'read');
      if (write) await handle.durable();
      return result;
    }
    const result = await (executor ?? db).executeQuery<Row>(bind(args));
    if (write && executor === undefined) await handle.durable();
    return result;
  }

  return {
    inStep(args) {
      if (handle.sqlite === undefined) throw new Error('inStep runs on SQLite only');
      return runDirect(handle.sqlite, args).rows;
    },
    async execute(args, executor) {
      return (await executeQuery(args, executor)).rows;
    },
    async run(args, executor) {
      return Number((await executeQuery(args, executor)).numAffectedRows ?? 0n);
    },
  };
}
