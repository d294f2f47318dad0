// Runs in a worker thread: copies the SQLite write-ahead log into the database file on its own
// connection, so that work (page copies and an fsync) never blocks the event loop serving requests.
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Sqlite(path);
db.pragma('busy_timeout = 1000');

const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting for, or blocking, the writer.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again; the main connection's autocheckpoint is the backstop.
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message === 'close') {
    clearInterval(timer);
    db.close();
    parentPort?.close();
  }
});
