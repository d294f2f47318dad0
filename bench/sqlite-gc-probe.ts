// Part of `npm run soak`, run as `node --expose-gc`: the SQLite driver's native finalisers on this
// Node. The service prepares each statement once and keeps it, so under load it rarely lets one be
// collected; this probe makes thousands of statements garbage, on the main thread and in a worker
// thread (as the WAL checkpointer is), and forces collections. better-sqlite3 12 on Node 24.19+
// aborts here (SIGABRT in Statement::~Statement); a supported driver exits 0.
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function churn(): void {
  const db = new Database(':memory:');
  db.exec('create table t (a integer)');
  for (let round = 0; round < 5; round += 1) {
    for (let i = 0; i < 2000; i += 1) db.prepare(`select a + ${i} from t`).all();
    gc!();
  }
  db.close();
  gc!();
}

churn();
const workerSource = `
  const Database = require(${JSON.stringify(fileURLToPath(import.meta.resolve('better-sqlite3')))});
  const db = new Database(':memory:');
  for (let i = 0; i < 2000; i += 1) db.prepare('select ' + i).get();
`;
await new Promise<void>((resolve, reject) => {
  const worker = new Worker(workerSource, { eval: true });
  worker.once('error', reject);
  worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
});
gc();
console.log('sqlite driver: statements collected on the main thread and in a worker without a crash');
