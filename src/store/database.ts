// createDatabase(config): better-sqlite3 or pg behind one Kysely. Every dialect quirk lives here.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { Database } from './schema.js';
import { startCheckpointer, type CheckpointSettings } from './sqlite-checkpointer.js';
import { createGroupCommit, type AtomicKind } from './sqlite-group-commit.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * Resolves once every write made so far is committed. SQLite groups the writes of one event-loop
   * turn into one commit (sqlite-group-commit.ts); PostgreSQL commits each statement itself.
   */
  durable(): Promise<void>;
  /**
   * SQLite only: the raw connection, for a decision that must run with no gap between its
   * statements (limiter-db.ts). `prepare` gives a statement outside the group commit's wrappers.
   */
  sqlite?: { prepare(text: string): SQLite.Statement; atomically<T>(work: () => T, kind?: AtomicKind): Promise<T> };
  /** Runs `work` while no other process migrates the same database. */
  withMigrationLock<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The worker thread checkpoints the SQLite write-ahead log every 250 ms, and starts it over once it
 * holds 32,768 pages (4 KiB each: 128 MB), holding writes for at most 100 ms while it copies the
 * last frames (sqlite-checkpointer.ts).
 */
const CHECKPOINTS: CheckpointSettings = { intervalMs: 250, restartFrames: 32_768, fewFrames: 500, maxPauseMs: 100 };

/** This connection checkpoints inline once the log holds this many pages: 400 MB, a backstop. */
const WAL_BACKSTOP_PAGES = 100_000;
/**
 * The log file is cut back to this size when it starts over: above where the worker starts it
 * over, since cutting it back blocks the event loop (ftruncate: about 0.45 ms per MB here).
 */
const WAL_KEPT_BYTES = 192 * 1024 * 1024;

/** Tests start the log over sooner. */
export interface DatabaseOptions {
  checkpoints?: Partial<CheckpointSettings>;
}

/** A guard, not a tuning knob: the service has a few dozen distinct statements. */
const MAX_CACHED_STATEMENTS = 500;

// Any fixed 64-bit number; instances of this service agree on it.
const MIGRATION_LOCK_KEY = 727_401_113;

/** Only the driver in use is loaded (each costs start-up time and resident memory). */
export async function createDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') {
    const { default: pg } = await import('pg');
    // Epoch milliseconds are BIGINT in PostgreSQL; they fit a double exactly, so read them as numbers.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolMax, connectionTimeoutMillis: 5000 });
    // A client whose server connection dies emits 'error' (idle or checked out). The query in
    // flight rejects on its own and the pool discards the client; without these listeners the
    // event would crash the process. Recovery is the pool opening a new connection.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      usePreparedStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      // Kysely's migrator creates its own tables before it locks, which races when two instances
      // start at once; a session advisory lock held on a separate connection serialises it all.
      async withMigrationLock(work) {
        const client = new pg.Client({ connectionString: config.url });
        await client.connect();
        try {
          await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
          return await work();
        } finally {
          await client.end();
        }
      },
      durable: () => Promise.resolve(),
      close: () => db.destroy(),
    };
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const path = resolve(config.path);
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Sqlite(path);
  // WAL: readers never wait for the writer; synchronous=NORMAL in WAL survives a killed process
  // (only an OS crash can lose the last commits). busy_timeout covers a second process (migrate).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread (below). The log starts over only when a write finds it fully
  // copied, which a steady stream of commits never allows on its own: the worker pauses writes for
  // the moment it takes to copy the last frames (sqlite-checkpointer.ts). Should that fail, this
  // connection's own checkpoint, inline in a commit at 100,000 pages, is the backstop: it blocks the
  // event loop for its fsyncs (30-50 ms here) and for cutting the file back.
  sqlite.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`);
  sqlite.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
  sqlite.pragma('foreign_keys = ON');
  const groupCommit = createGroupCommit(sqlite);
  const checkpointer = startCheckpointer(path, { ...CHECKPOINTS, ...options.checkpoints }, groupCommit);
  const database = {
    prepare: (text: string) => groupCommit.prepare(text),
    close: () => groupCommit.close(),
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  // SQLite's own write lock (with busy_timeout) serialises a second process's migration.
  return {
    db,
    dialect: 'sqlite',
    sqlite: { prepare: (text) => sqlite.prepare(text), atomically: (work, kind) => groupCommit.atomically(work, kind) },
    withMigrationLock: (work) => work(),
    durable: () => groupCommit.durable(),
    close: async () => {
      await db.destroy();
      await checkpointer.stop();
    },
  };
}

const DML = /^\s*(select|insert|update|delete|with)\b/i;
const statementNames = new Map<string, string>();

/**
 * Sends every query as a named prepared statement, so PostgreSQL parses and plans each of the
 * service's few fixed statements once per connection instead of on every request (that work runs
 * on the database's CPU, which on a small machine is the same CPU). The name is derived from the
 * text, so one text always has one name. Not for use behind a transaction-mode pooler that cannot
 * keep prepared statements (PgBouncer before 1.21).
 */
function usePreparedStatements(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<unknown>;
  client.query = ((text: unknown, values?: unknown) => {
    if (typeof text !== 'string' || !DML.test(text)) return query(text, values);
    let name = statementNames.get(text);
    if (name === undefined) {
      name = `ca_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      if (statementNames.size < MAX_CACHED_STATEMENTS) statementNames.set(text, name);
    }
    return query({ name, text, values });
  }) as typeof client.query;
}

/** The unique index a write ran into, or undefined when the error is something else. */
export function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: string; constraint?: string };
  if (e.code === '23505') return e.constraint ?? e.message;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return e.message;
  return undefined;
}

const PG_UNAVAILABLE_CLASSES = ['08', '53', '57']; // connection, resources, operator intervention

/** True when the database could not be reached or dropped the connection: a 503, not a bug. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string };
  if (typeof e.code === 'string') {
    if (e.code.length === 5 && PG_UNAVAILABLE_CLASSES.includes(e.code.slice(0, 2))) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_FULL'].includes(e.code)) return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    e.message,
  );
}
