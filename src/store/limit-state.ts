// The limit arithmetic the database limiter runs inside its transaction (limiter-redis.ts holds the
// same rules in Lua). Hand-written on purpose: no rate-limit library decides several keys and rules
// all-or-nothing in one round trip over SQLite, PostgreSQL and Redis alike.
//
// GCRA: each (key, rule) keeps one number, the theoretical arrival time (TAT). A take moves it
// `windowMs / limit` ahead of max(TAT, now) and is allowed while it stays within `windowMs` of now,
// so a burst of `limit` passes, then one per window/limit: never twice the limit across an edge.
// Ratio counters are buckets of windowMs / RATIO_BUCKETS, summed over the last RATIO_BUCKETS.
import type { LimitCheck, LimitDecision, LimitRule } from '../domain/ports.js';

export const RATIO_BUCKETS = 6;

/**
 * `remaining` tolerates this much disagreement between callers' clocks: parallel requests read
 * "now" before they reach the store and arrive in another order (or from another instance), and
 * without it a take a moment "late" would report one take fewer than the rule allows (a guess
 * budget of 3 locking after 2). 1 s was not enough: in a loaded CI run an instance's event loop
 * stalled longer than that between reading the clock and reaching Redis. Never more than an
 * interval, and it only moves `remaining`: what a take is allowed is decided without it, so it never
 * adds a take (at worst the failure that spends a budget due to regain a take within the slack
 * does not lock, and the next one, refused, does).
 */
export const CLOCK_SLACK_MS = 10_000;

export interface StateRow {
  key: string;
  value: number;
  /** After this (epoch ms) the row says nothing any more and the sweep may delete it. */
  expiresAt: number;
}

const interval = (rule: LimitRule) => Math.max(1, Math.floor(rule.windowMs / rule.limit));
const slack = (rule: LimitRule) => Math.min(CLOCK_SLACK_MS, interval(rule) - 1);
const ruleKey = (key: string, rule: LimitRule) => `${key}|${rule.windowMs}`;

function bucketKeys(key: string, windowMs: number, nowMs: number): { key: string; expiresAt: number }[] {
  const width = Math.max(1, Math.floor(windowMs / RATIO_BUCKETS));
  const current = Math.floor(nowMs / width);
  return Array.from({ length: RATIO_BUCKETS }, (_, back) => ({
    key: `${key}@${current - back}`,
    expiresAt: (current - back + 1) * width + windowMs,
  }));
}

/** Every state key `checks` read, sorted (rows are locked in this order). */
export function keysOf(checks: readonly LimitCheck[], nowMs: number): string[] {
  const keys = checks.flatMap((check) =>
    check.kind === 'ratio'
      ? [...bucketKeys(check.eventsKey, check.windowMs, nowMs), ...bucketKeys(check.successesKey, check.windowMs, nowMs)].map((b) => b.key)
      : check.rules.map((rule) => ruleKey(check.key, rule)),
  );
  return [...new Set(keys)].sort();
}

/** The decision on the current state, and the rows to write when it allows. */
export function decideOn(
  checks: readonly LimitCheck[],
  state: ReadonlyMap<string, number>,
  nowMs: number,
): { decision: LimitDecision; writes: StateRow[] } {
  const writes = new Map<string, StateRow>();
  let remaining = Infinity;
  for (const [index, check] of checks.entries()) {
    if (check.kind === 'ratio') {
      const sum = (key: string) => bucketKeys(key, check.windowMs, nowMs).reduce((total, b) => total + (state.get(b.key) ?? 0), 0);
      const events = sum(check.eventsKey);
      if (events >= check.minEvents && events > 0 && sum(check.successesKey) / events < check.minRatio) {
        return { decision: { allowed: false, refused: index, retryAfterMs: Math.floor(check.windowMs / RATIO_BUCKETS) }, writes: [] };
      }
      continue;
    }
    for (const rule of check.rules) {
      const key = ruleKey(check.key, rule);
      const tat = Math.max(writes.get(key)?.value ?? state.get(key) ?? nowMs, nowMs) + interval(rule);
      if (tat - nowMs > rule.windowMs) {
        return { decision: { allowed: false, refused: index, retryAfterMs: tat - rule.windowMs - nowMs }, writes: [] };
      }
      if (check.kind !== 'take') continue;
      writes.set(key, { key, value: tat, expiresAt: tat });
      remaining = Math.min(remaining, Math.floor((rule.windowMs + slack(rule) - (tat - nowMs)) / interval(rule)));
    }
  }
  return { decision: { allowed: true, remaining }, writes: [...writes.values()] };
}

/** The rows that give back one take of each take check. */
export function refundOn(checks: readonly LimitCheck[], state: ReadonlyMap<string, number>, nowMs: number): StateRow[] {
  const writes: StateRow[] = [];
  for (const check of checks) {
    if (check.kind !== 'take') continue;
    for (const rule of check.rules) {
      const key = ruleKey(check.key, rule);
      const tat = state.get(key);
      if (tat !== undefined && tat > nowMs) writes.push({ key, value: tat - interval(rule), expiresAt: tat - interval(rule) });
    }
  }
  return writes;
}

/** The bucket a count lands in. */
export function counterRow(key: string, windowMs: number, nowMs: number): { key: string; expiresAt: number } {
  const [current] = bucketKeys(key, windowMs, nowMs);
  return current!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- RATIO_BUCKETS >= 1
}

/**
 * The decision the Redis script and PostgreSQL's `limit_decide` answer with, as the triple
 * [allowed (1|0), remaining (-1: no limit) or the refused check's index, retry after ms].
 */
export function decisionOf(triple: readonly unknown[] | null | undefined): LimitDecision {
  const [allowed, second, retryAfterMs] = (triple ?? []).map(Number);
  if (allowed === 1 && second !== undefined) return { allowed: true, remaining: second < 0 ? Infinity : second };
  if (allowed === 0 && second !== undefined && retryAfterMs !== undefined) return { allowed: false, refused: second, retryAfterMs };
  throw new Error(`a limit decision answered ${JSON.stringify(triple)}`);
}

/** `checks` with their state keys worked out, for the Lua script (limiter-redis.ts) and limit_decide (migration 005). */
export type Plan =
  | { kind: 'take' | 'peek'; rules: { key: string; interval: number; window: number; slack: number }[] }
  | { kind: 'ratio'; events: string[]; successes: string[]; minEvents: number; minRatio: number; retry: number };

export function planOf(checks: readonly LimitCheck[], nowMs: number): Plan[] {
  return checks.map((check) =>
    check.kind === 'ratio'
      ? {
          kind: 'ratio',
          events: bucketKeys(check.eventsKey, check.windowMs, nowMs).map((b) => b.key),
          successes: bucketKeys(check.successesKey, check.windowMs, nowMs).map((b) => b.key),
          minEvents: check.minEvents,
          minRatio: check.minRatio,
          retry: Math.floor(check.windowMs / RATIO_BUCKETS),
        }
      : { kind: check.kind, rules: check.rules.map((rule) => ({ key: ruleKey(check.key, rule), interval: interval(rule), window: rule.windowMs, slack: slack(rule) })) },
  );
}
