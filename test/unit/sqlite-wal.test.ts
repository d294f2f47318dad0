// The SQLite write-ahead log is copied back by the checkpoint worker, not inline in a commit, and
// starts over once a write finds it fully copied. Under a steady stream of commits that never
// happens on its own: the worker holds writes while it copies the last frames, and the log starts
// over long before the inline backstop of src/store/database.ts.
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle, type DatabaseOptions } from '../../src/store/database.js';
import { freshDatabase, type FreshDatabase } from '../support/backends.js';

const PAGE_BYTES = 4096;
const ROWS = 2000;

/** A fresh SQLite database with one table, opened before the tests of the describe() it is called in. */
function walDatabase(table: string, options: DatabaseOptions = {}) {
  let file: FreshDatabase;
  const opened = { path: '', handle: undefined as DatabaseHandle | undefined };
  beforeAll(async () => {
    file = await freshDatabase('sqlite');
    opened.path = file.url.slice('sqlite:'.length);
    opened.handle = await createDatabase({ kind: 'sqlite', path: opened.path }, options);
    opened.handle.sqlite!.prepare(`create table ${table} (id integer primary key, filler text not null)`).run(); // eslint-disable-line @typescript-eslint/no-non-null-assertion -- a SQLite handle
  });
  afterAll(async () => {
    await opened.handle?.close();
    await file.drop();
  });
  return opened;
}

describe('SQLite write-ahead log', () => {
  const opened = walDatabase('wal_probe');
  const handle = () => opened.handle!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- opened in beforeAll
  const sqlite = () => handle().sqlite!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- a SQLite handle

  const pragma = (text: string) => sqlite().prepare(`pragma ${text}`).pluck().get() as number;
  const walBytes = () => statSync(`${opened.path}-wal`).size;

  async function write(rows: number, from: number): Promise<void> {
    const insert = sqlite().prepare('insert into wal_probe (id, filler) values (?, ?)');
    await sqlite().atomically(() => {
      for (let i = 0; i < rows; i++) insert.run(from + i, 'x'.repeat(1000));
    }, 'steps');
    await handle().durable();
  }

  it('checkpoints inline only as a backstop at 100,000 pages, and keeps at most 192 MB of log on disk', () => {
    expect(pragma('wal_autocheckpoint')).toBe(100_000);
    expect(pragma('journal_size_limit')).toBe(192 * 1024 * 1024);
  });

  it('starts the log over once the worker has copied it, so it does not grow with every write', async () => {
    await write(ROWS, 0);
    const grown = walBytes();
    expect(grown).toBeGreaterThan(ROWS * 1000); // ~2 MB of rows went into the log
    // The worker checkpoints every 250 ms; then the next write finds the log fully copied.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await write(1, ROWS);
    // The log started over: it holds the last write's few pages, not everything since the start.
    const framesNow = (sqlite().prepare('pragma wal_checkpoint(PASSIVE)').get() as { log: number }).log;
    expect(framesNow).toBeGreaterThan(0);
    expect(framesNow * PAGE_BYTES).toBeLessThan(grown / 10);
  });
});

describe('SQLite write-ahead log under a steady stream of commits', () => {
  const RESTART_FRAMES = 2000;
  const opened = walDatabase('wal_stream', { checkpoints: { intervalMs: 50, restartFrames: RESTART_FRAMES } });
  const handle = () => opened.handle!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- opened in beforeAll
  const sqlite = () => handle().sqlite!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- a SQLite handle

  it('starts the log over again and again, holding writes only for moments, while reads go on', async () => {
    const insert = sqlite().prepare('insert into wal_stream (id, filler) values (?, ?)');
    // The log's length as the wal-index header says (mxFrame, at byte 16, in the machine's byte
    // order), read without a checkpoint of our own.
    const frames = () => readFileSync(`${opened.path}-shm`).subarray(0, 20).readUInt32LE(16);
    // Commits back to back for 4 s, each a few pages, from 8 writers: the log is never idle, so it
    // never gets copied whole between two writes by itself (the inline backstop: 100,000 pages).
    let id = 0;
    let restarts = 0;
    let longest = 0;
    let slowestWriteMs = 0;
    let reads = 0;
    const until = Date.now() + 4000;
    const writer = async () => {
      while (Date.now() < until) {
        const started = performance.now();
        await sqlite().atomically(() => {
          for (let i = 0; i < 4; i++) insert.run(++id, 'x'.repeat(1000));
        }, 'steps');
        await handle().durable();
        slowestWriteMs = Math.max(slowestWriteMs, performance.now() - started);
      }
    };
    let last = 0;
    const watcher = async () => {
      while (Date.now() < until) {
        // Reads are not held while writes are.
        await sqlite().atomically(() => sqlite().prepare('select count(*) from wal_stream').pluck().get(), 'read');
        reads += 1;
        const now = frames();
        if (now < last) restarts += 1;
        longest = Math.max(longest, now);
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await Promise.all([...Array.from({ length: 8 }, writer), watcher()]);
    expect(id).toBeGreaterThan(4 * RESTART_FRAMES); // far more pages written than one log holds
    expect(restarts).toBeGreaterThanOrEqual(2);
    expect(longest).toBeLessThan(4 * RESTART_FRAMES);
    expect(reads).toBeGreaterThan(100);
    // The pause gives up after 100 ms whatever happens; a stall of the backstop's size never came.
    expect(slowestWriteMs).toBeLessThan(1000);
  });
});
