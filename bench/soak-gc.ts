// Preloaded into the service by `npm run soak` only (node --expose-gc --import this file): SIGUSR2
// forces a full garbage collection inside the service, so native objects the load left behind
// (SQLite statements above all) are finalised while the service runs, not only at exit. That is
// where better-sqlite3 12 aborted the process on Node 24.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('soak-gc needs node --expose-gc');
  gc();
});
