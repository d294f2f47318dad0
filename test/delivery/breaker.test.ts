import { describe, expect, it } from 'vitest';
import { createBreaker, type Breaker } from '../../src/delivery/breaker.js';
import { createTestClock } from '../support/clock.js';

const RULE = { failures: 5, windowMs: 30_000, openMs: 30_000 };

function fail(breaker: Breaker, times: number) {
  const events = [];
  for (let index = 0; index < times; index++) {
    const permit = breaker.acquire();
    if (permit === undefined) throw new Error(`no permit at failure ${index + 1}`);
    events.push(breaker.settle(permit, false));
  }
  return events;
}

describe('provider circuit breaker', () => {
  it('opens on the fifth failure in a row within 30 s, then hands out no permit', () => {
    const breaker = createBreaker(RULE, createTestClock());
    expect(fail(breaker, 5)).toEqual([undefined, undefined, undefined, undefined, 'opened']);
    expect(breaker.state()).toBe('open');
    expect(breaker.acquire()).toBeUndefined();
    expect(breaker.available()).toBe(false);
  });

  it('stays closed while successes come between failures (one bad number is not an outage)', () => {
    const breaker = createBreaker(RULE, createTestClock());
    for (let round = 0; round < 10; round++) {
      fail(breaker, 4);
      breaker.settle(breaker.acquire()!, true);
    }
    expect(breaker.state()).toBe('closed');
  });

  it('does not count failures older than the window', () => {
    const clock = createTestClock();
    const breaker = createBreaker(RULE, clock);
    fail(breaker, 4);
    clock.advance(30_000);
    expect(fail(breaker, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(breaker.state()).toBe('closed');
    expect(fail(breaker, 1)).toEqual(['opened']);
  });

  it('lets exactly one trial through once the open period is over, and closes when it succeeds', () => {
    const clock = createTestClock();
    const breaker = createBreaker(RULE, clock);
    fail(breaker, 5);
    clock.advance(29_999);
    expect(breaker.acquire()).toBeUndefined();
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');

    const trial = breaker.acquire();
    expect(trial).toBe('trial');
    // While the trial is out, everyone else skips the provider.
    expect([breaker.acquire(), breaker.acquire(), breaker.available()]).toEqual([undefined, undefined, false]);

    expect(breaker.settle(trial!, true)).toBe('closed');
    expect(breaker.state()).toBe('closed');
    expect(breaker.acquire()).toBe('pass');
    // Closing starts the count afresh.
    expect(fail(breaker, 4)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('opens again for a full period when the trial fails', () => {
    const clock = createTestClock();
    const breaker = createBreaker(RULE, clock);
    fail(breaker, 5);
    clock.advance(30_000);
    expect(breaker.settle(breaker.acquire()!, false)).toBe('reopened');
    expect(breaker.acquire()).toBeUndefined();
    clock.advance(29_999);
    expect(breaker.acquire()).toBeUndefined();
    clock.advance(1);
    expect(breaker.acquire()).toBe('trial');
  });

  it('ignores late answers to calls let through before it opened', () => {
    const clock = createTestClock();
    const breaker = createBreaker(RULE, clock);
    const early = [breaker.acquire()!, breaker.acquire()!];
    fail(breaker, 5);
    expect(breaker.settle(early[0]!, true)).toBeUndefined();
    expect(breaker.settle(early[1]!, false)).toBeUndefined();
    expect(breaker.state()).toBe('open');
  });

  it('opens after one failure with a rule of 1/1h', () => {
    const breaker = createBreaker({ failures: 1, windowMs: 3_600_000, openMs: 1000 }, createTestClock());
    expect(fail(breaker, 1)).toEqual(['opened']);
  });
});
