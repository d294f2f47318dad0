// Limit rules as configuration: "count/window" with units s, m, h, d ("20/10m"); several rules
// comma-separated ("5/1h,10/1d"); "off" for none. Parsed once at start-up by src/config.ts.
import type { LimitRule } from './domain/ports.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const RULE = /^(\d{1,9})\/(\d{0,6})([smhd])$/;

/** The rules in `text`, or undefined for "off". Throws a message naming what is wrong. */
export function parseLimitRules(text: string): LimitRule[] | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'off') return undefined;
  const rules = trimmed.split(',').map((part) => {
    const match = RULE.exec(part.trim());
    if (match === null) throw new Error(`must be "off" or rules like 20/10m or 5/1h,10/1d (units s, m, h, d), got "${text}"`);
    const [, count = '', amount = '', unit = 's'] = match;
    const limit = Number(count);
    const windowMs = Number(amount === '' ? '1' : amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    if (limit < 1 || windowMs < 1000) throw new Error(`needs a count of at least 1 and a window of at least 1s, got "${part.trim()}"`);
    return { limit, windowMs };
  });
  if (new Set(rules.map((rule) => rule.windowMs)).size !== rules.length) throw new Error(`has two rules with one window in "${text}"`);
  return rules;
}

/** "5/1h,10/1d" again, for logs and the bench's printed configuration. */
export function formatLimitRules(rules: readonly LimitRule[] | undefined): string {
  if (rules === undefined) return 'off';
  return rules
    .map(({ limit, windowMs }) => {
      const [unit, ms] = (Object.entries(UNIT_MS) as [string, number][]).reverse().find(([, size]) => windowMs % size === 0) ?? ['s', 1000];
      return `${limit}/${windowMs / ms}${unit}`;
    })
    .join(',');
}
