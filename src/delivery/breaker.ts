// A circuit breaker for one delivery provider, in memory (one per provider per instance).
//
// Hand-written rather than opossum: opossum wraps the call itself, owns its own timeout, and
// reopens on a setTimeout, so its half-open moment cannot follow an injected clock; the state
// machine the service needs is the thirty lines below, driven by the Clock port like every other
// time rule. Its trip rule is gobreaker's (failures in a row, counted within a window): one
// invalid number among thousands of good sends never opens it; a provider that is down does.
import type { BreakerRule } from '../config.js';
import type { Clock } from '../domain/ports.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What `acquire` hands out: a normal pass, or the one trial of a half-open breaker. */
export type Permit = 'pass' | 'trial';

/** A transition worth a log line. */
export type BreakerEvent = 'opened' | 'reopened' | 'closed';

export interface Breaker {
  /** A permit to call the provider, or undefined: skip it (open, or half-open with its trial out). */
  acquire(): Permit | undefined;
  /** Whether `acquire` would hand out a permit now, without taking one. */
  available(): boolean;
  /** The outcome of a call made with `permit`. Every permit must be settled exactly once. */
  settle(permit: Permit, ok: boolean): BreakerEvent | undefined;
  state(): BreakerState;
}

export function createBreaker(rule: BreakerRule, clock: Clock): Breaker {
  let state: BreakerState = 'closed';
  /** When each failure since the last success happened (closed state only), oldest first. */
  const failuresAtMs: number[] = [];
  let openedAtMs = 0;
  let trialOut = false;

  function refresh(): void {
    if (state === 'open' && clock.now() - openedAtMs >= rule.openMs) state = 'half-open';
  }

  function open(): void {
    state = 'open';
    openedAtMs = clock.now();
    failuresAtMs.length = 0;
  }

  return {
    acquire() {
      refresh();
      if (state === 'closed') return 'pass';
      // Half-open lets exactly one caller through; everyone else skips until it settles.
      if (state === 'half-open' && !trialOut) {
        trialOut = true;
        return 'trial';
      }
      return undefined;
    },
    available() {
      refresh();
      return state === 'closed' || (state === 'half-open' && !trialOut);
    },
    settle(permit, ok) {
      if (permit === 'trial') {
        trialOut = false;
        if (ok) {
          state = 'closed';
          return 'closed';
        }
        open();
        return 'reopened';
      }
      // A call let through before the breaker opened says nothing about the provider now.
      if (state !== 'closed') return undefined;
      if (ok) {
        // Checked first: writing an array's length is a slow path, and this runs on every delivery.
        if (failuresAtMs.length > 0) failuresAtMs.length = 0;
        return undefined;
      }
      const nowMs = clock.now();
      failuresAtMs.push(nowMs);
      while (failuresAtMs.length > 0 && nowMs - failuresAtMs[0]! >= rule.windowMs) failuresAtMs.shift();
      if (failuresAtMs.length < rule.failures) return undefined;
      open();
      return 'opened';
    },
    state() {
      refresh();
      return state;
    },
  };
}
