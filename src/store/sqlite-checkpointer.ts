// Copies the SQLite write-ahead log into the database file from a worker thread, on its own
// connection, so that work (page copies and an fsync) never blocks the event loop serving requests.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The worker is a few lines of plain CommonJS evaluated in place: it then runs the same from the
// compiled service and from the TypeScript sources under test, with the driver the service uses.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driverPath);
const db = new Sqlite(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting for, or blocking, the writer.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again; the main connection's autocheckpoint is the backstop.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Resolves once the worker has closed its connection and exited. */
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs: number): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driverPath } });
  worker.unref();
  // A worker that fails (it could not open the file, say) only means the main connection's
  // autocheckpoint does the work, as it would without the worker.
  worker.on('error', () => {});
  const exited = once(worker, 'exit').catch(() => undefined);
  return {
    async stop() {
      // Referenced again so the process waits for the worker's exit instead of ending under it.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
