// Synthetic work for wakeup-cost.ts and the baseline server it starts: spins for `microseconds` of
// wall time on the monotonic clock (a vDSO read, no system call). A thread's own CPU clock would be
// the better measure, but on this kind of VM it advances in scheduler ticks (4 ms), too coarse for
// tens of microseconds. Time the thread spends preempted counts here and would not count as CPU,
// so the overhead the caller derives (CPU less this work) errs low, never high.
import { performance } from 'node:perf_hooks';

export function burnWall(microseconds: number): void {
  const until = performance.now() + microseconds / 1000;
  while (performance.now() < until) {
    // spin
  }
}
