// The rows the runs measure, how a result is described, the table and the targets it is held to.
import os from 'node:os';
import type { LoadResult } from './measure.js';
import { fmt } from './settings.js';

export interface Row {
  key: string;
  label: string;
  database: 'none' | 'sqlite' | 'postgres';
  method: string;
  path: string;
  warmup: LoadResult;
  result: LoadResult;
  /** Server process VmHWM after the run: the process's peak RSS so far. */
  peakRssMb: number;
  ratioPct?: number;
  /** Against a baseline in alternating slices after the measured run (paired-baseline.ts): the median pair's ratio, %. */
  pairedRatioPct?: number;
  /** Errors in those slices (counted in the bench's total). */
  pairedErrors?: number;
  /** Something else on the machine used much CPU during the run (see NOISY_REST_PERCENT). */
  noisy?: boolean;
  notes: string[];
}

export const rows: Row[] = [];
export const extraPhases: Array<{ what: string; result: LoadResult }> = [];
export const benchNotes: string[] = [];

export const CPU_NAMES: Record<string, string> = { postgres: 'PostgreSQL', twilio: 'fake Twilio', bench: 'autocannon', rest: 'rest' };

/** Where the CPU went besides the server: "fake Twilio 12%, autocannon 10%, rest 15%; machine 135% of 200%". */
export function otherCpu(result: LoadResult): string {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const parts = Object.entries(result.cpuPercent)
    .filter(([name]) => CPU_NAMES[name] !== undefined)
    .map(([name, value]) => `${CPU_NAMES[name]} ${fmt(value)}%`);
  return `${parts.join(', ')}; machine ${fmt(result.cpuPercent.machine ?? Number.NaN)}% of ${cores * 100}%`;
}

export function describeResult(result: LoadResult): string {
  return (
    `${fmt(result.reqPerSec)} req/s, p50 ${fmt(result.latencyMs.p50, 2)} ms, p99 ${fmt(result.latencyMs.p99, 2)} ms, ` +
    `errors ${result.errors}, server CPU ${fmt(result.cpuPercent.server ?? Number.NaN)}% (${otherCpu(result)})`
  );
}

export function reportErrors(what: string, result: LoadResult): void {
  if (result.errors === 0) return;
  console.error(`  ${what}: ${result.errors} errors; status codes ${JSON.stringify(result.statusCodes)}`);
  for (const sample of result.errorSamples) console.error(`    ${sample}`);
}


export interface TargetCheck {
  what: string;
  actual: string;
  ok: boolean;
}

export function targetChecks(): TargetCheck[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const checks: TargetCheck[] = [];
  const ratio = (key: string, min: number): void => {
    const row = byKey.get(key);
    if (row?.ratioPct === undefined) return;
    checks.push({ what: `${row.label} >= ${min}% of baseline`, actual: `${fmt(row.ratioPct, 1)}%`, ok: row.ratioPct >= min });
    if (row.pairedRatioPct !== undefined) {
      checks.push({ what: `${row.label} >= ${min}% of the baseline in alternating slices`, actual: `${fmt(row.pairedRatioPct, 1)}%`, ok: row.pairedRatioPct >= min });
    }
  };
  ratio('sqlite.login', 15);
  ratio('sqlite.register', 15);
  ratio('sqlite.verify', 20);
  ratio('sqlite.me', 50);
  ratio('sqlite.refresh', 20);
  for (const row of rows) {
    if (row.key.startsWith('baseline')) continue;
    checks.push({ what: `${row.label} p99 <= 25 ms`, actual: `${fmt(row.result.latencyMs.p99, 2)} ms`, ok: row.result.latencyMs.p99 <= 25 });
  }
  for (const row of rows) {
    if (row.key.startsWith('baseline')) continue;
    checks.push({ what: `${row.label} peak RSS <= 200 MB`, actual: `${fmt(row.peakRssMb)} MB`, ok: row.peakRssMb <= 200 });
  }
  for (const [pgKey, sqliteKey] of [
    ['postgres.login', 'sqlite.login'],
    ['postgres.verify', 'sqlite.verify'],
  ] as const) {
    const pgRow = byKey.get(pgKey);
    const sqliteRow = byKey.get(sqliteKey);
    if (pgRow === undefined || sqliteRow === undefined) continue;
    const share = (pgRow.result.reqPerSec / sqliteRow.result.reqPerSec) * 100;
    checks.push({ what: `${pgRow.label} >= 50% of SQLite`, actual: `${fmt(share, 1)}%`, ok: share >= 50 });
  }
  const errors = rows.reduce((sum, row) => sum + row.result.errors + row.warmup.errors + (row.pairedErrors ?? 0), 0) + extraPhases.reduce((sum, p) => sum + p.result.errors, 0);
  checks.push({ what: 'zero errors (warm-ups and code top-ups included)', actual: String(errors), ok: errors === 0 });
  return checks;
}

export function table(): string {
  const header = ['run', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU %', 'peak RSS MB', 'vs baseline', 'vs paired baseline'];
  const body = rows.map((row) => [
    row.label + (row.notes.some((note) => note.startsWith('codes ran out')) ? ' *' : '') + (row.noisy ? ' !' : ''),
    fmt(row.result.reqPerSec),
    fmt(row.result.latencyMs.p50, 2),
    fmt(row.result.latencyMs.p99, 2),
    String(row.result.errors),
    fmt(row.result.cpuPercent.server ?? Number.NaN),
    fmt(row.peakRssMb),
    row.ratioPct === undefined ? '' : `${fmt(row.ratioPct, 1)}%`,
    row.pairedRatioPct === undefined ? '' : `${fmt(row.pairedRatioPct, 1)}%`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

