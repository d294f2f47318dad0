// Group commit for SQLite: the writes of all requests that run in one turn of the event loop go
// into one transaction, committed on the next turn; each request is answered only after the
// commit that holds its writes (await `durable()`), so nothing acknowledged can be lost.
// One commit per turn instead of one per statement: the per-commit cost (WAL frames written,
// locks taken and released) is shared by every request in the turn. Reads share a turn too: the
// first one outside a batch opens a read transaction that ends on the next turn (or as soon as a
// write needs the batch), so the file and WAL locks a read takes and drops (four fcntl calls, about
// 7 µs on a virtual machine, as much as the point lookup itself) are taken once per turn.
import type SQLite from 'better-sqlite3';

const WRITE = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;
// Kysely's SQLite transactions (registration) become a savepoint inside the open batch.
const SAVEPOINT = 'kysely_tx';

export interface GroupCommit {
  /** Kysely's view of the database: statements that join the open batch. */
  prepare(text: string): SQLite.Statement;
  /** Resolves when everything written so far is committed (rejects if that commit failed). */
  durable(): Promise<void>;
  /**
   * Runs `work` (synchronous statements on the raw connection) at once, with no other statement
   * between its statements. While a registration's savepoint is open it waits for that to end, so
   * it never joins (is never rolled back with, never reads the uncommitted rows of) someone else's
   * transaction. `steps`: several statements in the open batch, a throw rolling back what they
   * wrote; `write`: one statement in the open batch; `read`: one statement, in the open batch or
   * in this turn's read transaction (it writes nothing). Await `durable()` for what a `steps` or
   * `write` work wrote.
   */
  atomically<T>(work: () => T, kind?: AtomicKind): Promise<T>;
  /**
   * Holds new writes (`steps` and `write` work waits; reads go on) and resolves once the open batch,
   * if any, has committed: the checkpoint worker then copies the whole log, so the next write starts
   * it over (sqlite-checkpointer.ts). Kysely's own statements (a registration, a sweep) still run;
   * they only mean the log may not start over this time.
   */
  pauseWrites(): Promise<void>;
  /** Lets held writes run, in the order they came. */
  resumeWrites(): void;
  /** Commits what is pending, then closes. */
  close(): void;
}

export type AtomicKind = 'steps' | 'write' | 'read';

interface Batch {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** A guard, not a tuning knob: the service has a few dozen distinct statements. */
const MAX_CACHED_STATEMENTS = 500;

export function createGroupCommit(sqlite: SQLite.Database): GroupCommit {
  const begin = sqlite.prepare('begin');
  const commit = sqlite.prepare('commit');
  let batch: Batch | undefined;
  // A read-only transaction open for this turn's reads (never while a batch is).
  let readOpen = false;
  let savepointOpen = false;
  let writesPaused = false;
  // atomically() work that arrived while a savepoint was open (or, writes, while writes were
  // paused), run in order as soon as nothing holds it back.
  const waiting: Array<{ run: () => void; kind: AtomicKind }> = [];
  const heldBack = (kind: AtomicKind) => savepointOpen || (writesPaused && kind !== 'read');

  /** Runs, in order, the waiting work nothing holds back any more (reads go on while writes are paused). */
  function runWaiting(): void {
    let index = 0;
    while (index < waiting.length) {
      const item = waiting[index]!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- index < length
      if (heldBack(item.kind)) {
        index += 1;
        continue;
      }
      waiting.splice(index, 1);
      item.run();
    }
  }
  // better-sqlite3 runs a transaction function inside an open transaction as a savepoint.
  const step = sqlite.transaction((work: () => unknown) => work());

  function runAtomically<T>(work: () => T, kind: AtomicKind): T {
    if (kind === 'read') {
      openRead();
      return work();
    }
    openBatch();
    return kind === 'write' ? work() : (step(work) as T);
  }

  // Commits and their clean-up run from setImmediate, where a throw would end the process: a
  // rollback that fails too leaves the next begin to report what is wrong with the connection.
  function rollbackQuietly(): void {
    try {
      if (sqlite.inTransaction) sqlite.exec('rollback');
    } catch {
      // see above
    }
  }

  function openRead(): void {
    if (batch !== undefined || readOpen) return;
    begin.run();
    readOpen = true;
    setImmediate(endRead);
  }

  // A batch never grows out of a read transaction: upgrading one fails at once (SQLITE_BUSY, no
  // busy_timeout) when another process writes, where a fresh write transaction waits its turn.
  function endRead(): void {
    if (!readOpen) return;
    readOpen = false;
    try {
      commit.run();
    } catch {
      // Ending a read-only transaction releases locks and cannot lose anything; make sure it ended.
      rollbackQuietly();
    }
  }

  function openBatch(): void {
    if (batch !== undefined) return;
    endRead();
    begin.run();
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    promise.catch(() => {}); // a failure is reported to each waiter through durable()
    batch = { promise, resolve, reject };
    setImmediate(commitBatch);
  }

  function commitBatch(): void {
    const current = batch;
    if (current === undefined) return;
    // A registration transaction spans awaits; the batch waits for it to finish.
    if (savepointOpen) {
      setImmediate(commitBatch);
      return;
    }
    batch = undefined;
    try {
      commit.run();
      current.resolve();
    } catch (error) {
      // Every waiter of this batch hears the failure; none was answered yet.
      rollbackQuietly();
      current.reject(error);
    }
  }

  function beginSavepoint(): void {
    openBatch();
    sqlite.exec(`savepoint ${SAVEPOINT}`);
    savepointOpen = true;
  }

  // The flag drops first: should SQLite refuse (it rolled the whole batch back itself on a fatal
  // error), the batch must not wait for a savepoint that is gone.
  function endSavepoint(sqlText: string): void {
    savepointOpen = false;
    try {
      sqlite.exec(sqlText);
    } finally {
      runWaiting();
    }
  }

  // Statements for transaction control, as Kysely's SQLite driver issues them.
  const control = new Map<string, () => void>([
    ['begin', beginSavepoint],
    ['commit', () => endSavepoint(`release ${SAVEPOINT}`)],
    ['rollback', () => endSavepoint(`rollback to ${SAVEPOINT}; release ${SAVEPOINT}`)],
  ]);

  function controlStatement(run: () => void): SQLite.Statement {
    const result = { changes: 0, lastInsertRowid: 0 };
    return {
      reader: false,
      run: () => {
        run();
        return result;
      },
    } as unknown as SQLite.Statement;
  }

  function writeStatement(statement: SQLite.Statement): SQLite.Statement {
    return {
      reader: statement.reader,
      all: (parameters: unknown[]) => {
        openBatch();
        return statement.all(parameters);
      },
      run: (parameters: unknown[]) => {
        openBatch();
        return statement.run(parameters);
      },
    } as unknown as SQLite.Statement;
  }

  // Prepared once per distinct SQL text and reused: Kysely asks for a statement per query, and
  // the texts are the few fixed ones compiled once in store.ts.
  const statements = new Map<string, SQLite.Statement>();
  function statementFor(text: string): SQLite.Statement {
    const run = control.get(text.trim().toLowerCase());
    if (run !== undefined) return controlStatement(run);
    const statement = sqlite.prepare(text);
    return WRITE.test(text) ? writeStatement(statement) : statement;
  }

  return {
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statement = statementFor(text);
        statements.set(text, statement);
      }
      return statement;
    },
    durable() {
      return batch?.promise ?? Promise.resolve();
    },
    atomically(work, kind = 'steps') {
      return new Promise((resolve, reject) => {
        const run = () => {
          try {
            resolve(runAtomically(work, kind));
          } catch (error) {
            reject(error);
          }
        };
        if (heldBack(kind)) waiting.push({ run, kind });
        else run();
      });
    },
    pauseWrites() {
      writesPaused = true;
      return batch === undefined ? Promise.resolve() : batch.promise.catch(() => {});
    },
    resumeWrites() {
      writesPaused = false;
      runWaiting();
    },
    close() {
      writesPaused = false;
      runWaiting();
      endRead();
      commitBatch();
      sqlite.close();
    },
  };
}
