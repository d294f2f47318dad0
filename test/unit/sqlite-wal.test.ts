// The SQLite write-ahead log is copied back by the checkpoint worker, not inline in a commit, and
// starts over (cut back on disk) once a write finds it fully copied. Only a log that never gets the
// chance (a steady stream of commits) reaches the inline backstop of src/store/database.ts.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { freshDatabase, type FreshDatabase } from '../support/backends.js';

const PAGE_BYTES = 4096;
const ROWS = 2000;

describe('SQLite write-ahead log', () => {
  let file: FreshDatabase;
  let path: string;
  let handle: DatabaseHandle;
  const sqlite = () => handle.sqlite!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- a SQLite handle

  beforeAll(async () => {
    file = await freshDatabase('sqlite');
    path = file.url.slice('sqlite:'.length);
    handle = await createDatabase({ kind: 'sqlite', path });
    sqlite().prepare('create table wal_probe (id integer primary key, filler text not null)').run();
  });

  afterAll(async () => {
    await handle.close();
    await file.drop();
  });

  const pragma = (text: string) => sqlite().prepare(`pragma ${text}`).pluck().get() as number;
  const walBytes = () => statSync(`${path}-wal`).size;

  async function write(rows: number, from: number): Promise<void> {
    const insert = sqlite().prepare('insert into wal_probe (id, filler) values (?, ?)');
    await sqlite().atomically(() => {
      for (let i = 0; i < rows; i++) insert.run(from + i, 'x'.repeat(1000));
    }, 'steps');
    await handle.durable();
  }

  it('checkpoints inline only as a backstop at 100,000 pages, and keeps at most 64 MB of log on disk', () => {
    expect(pragma('wal_autocheckpoint')).toBe(100_000);
    expect(pragma('journal_size_limit')).toBe(64 * 1024 * 1024);
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
