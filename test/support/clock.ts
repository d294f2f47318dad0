import type { Clock } from '../../src/domain/ports.js';

/** A clock the test moves by hand: expiry and cooldowns without sleeping. */
export function createTestClock(startMs = Date.now()) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms;
    },
  } satisfies Clock & { advance(ms: number): void };
}

export type TestClock = ReturnType<typeof createTestClock>;
