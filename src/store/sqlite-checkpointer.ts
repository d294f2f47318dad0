// Copies the SQLite write-ahead log into the database file from a worker thread, on its own
// connection, so that work (page copies and fsyncs) never blocks the event loop serving requests.
//
// The log starts over only when a write begins with every frame of it copied, which a steady
// stream of commits never allows: the log then grew to the inline backstop (database.ts), whose
// checkpoint blocked the event loop, and cutting the file back (journal_size_limit) blocked it
// longer still (ftruncate of 336 MB: 152 ms, in the bench's refresh run). So once the log is long,
// the worker catches up until one copy leaves little behind, then asks the service to hold new
// writes for a moment (reads go on): it copies the rest, the held writes run, and the first of
// them starts the log over, which costs no fsync and, below journal_size_limit, no truncation.
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
// PASSIVE: copies what it can without waiting for, or blocking, the writer. Busy or locked: the
// next tick tries again; the main connection's autocheckpoint is the backstop.
function passive() {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch {
    return undefined;
  }
}
let asked = false;
const timer = setInterval(() => {
  if (asked) return;
  let state = passive();
  // Copy again while a copy leaves many frames behind (each is shorter than the last), then ask.
  for (let round = 0; state !== undefined && state.log >= workerData.restartFrames && round < 4; round++) {
    const next = passive();
    if (next === undefined) return;
    const grew = next.log - state.log;
    state = next;
    if (grew >= 0 && grew <= workerData.fewFrames) {
      asked = true;
      parentPort.postMessage('pause');
      return;
    }
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'paused') {
    const state = passive();
    asked = false;
    parentPort.postMessage(state !== undefined && state.busy === 0 && state.checkpointed === state.log ? 'copied' : 'not-copied');
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointSettings {
  intervalMs: number;
  /** A log this long (frames, one page each) is copied whole and started over. */
  restartFrames: number;
  /** Writes are held only once a copy leaves at most this many frames behind. */
  fewFrames: number;
  /** Held writes go on after this long whatever the worker says. */
  maxPauseMs: number;
}

/** What the worker asks of the connection that writes: the group commit's pause. */
export interface WritePause {
  pauseWrites(): Promise<void>;
  resumeWrites(): void;
}

export interface Checkpointer {
  /** Resolves once the worker has closed its connection and exited. */
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, settings: CheckpointSettings, writes: WritePause): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const { intervalMs, restartFrames, fewFrames } = settings;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, restartFrames, fewFrames, driverPath } });
  worker.unref();
  // A worker that fails (it could not open the file, say) only means the main connection's
  // autocheckpoint does the work, as it would without the worker.
  worker.on('error', () => {});
  const exited = once(worker, 'exit').catch(() => undefined);

  let release: NodeJS.Timeout | undefined;
  const resume = () => {
    clearTimeout(release);
    release = undefined;
    writes.resumeWrites();
  };
  worker.on('message', (message: unknown) => {
    if (message === 'pause') {
      release = setTimeout(resume, settings.maxPauseMs);
      // Answered even when the pause has already run out, so the worker asks again later.
      void writes.pauseWrites().then(() => worker.postMessage('paused'));
    } else {
      resume(); // 'copied' (the next write starts the log over) or 'not-copied' (it grows on; the worker asks again)
    }
  });
  return {
    async stop() {
      resume();
      // Referenced again so the process waits for the worker's exit instead of ending under it.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
