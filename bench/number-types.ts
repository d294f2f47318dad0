// npm run bench:number-types: what SMS_REFUSED_NUMBER_TYPES costs. Loads libphonenumber-js's
// full ("max") metadata the way compose.ts does (a dynamic import, after the default metadata is
// in use), reports the RSS and heap it adds, then times the check on a mix of numbers.
// Run with --expose-gc (the npm script does) so the memory figures are after a full collection.
import { parsePhoneNumberFromString } from 'libphonenumber-js';

const CHECKS = Number(process.env.NUMBER_TYPE_CHECKS ?? 200_000);

function settledMemory(): { rssMb: number; heapMb: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  collect();
  collect();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20 };
}

/** Indian, US and UK mobiles and landlines, UK premium rate: what a busy service sees. */
function sampleNumbers(count: number): string[] {
  const prefixes = ['+9198', '+9170', '+91112', '+1415', '+1212', '+44791', '+44207', '+44909'];
  return Array.from({ length: count }, (_, i) => {
    const prefix = prefixes[i % prefixes.length] ?? '+9198';
    // E.164 lengths: +91 and +44 numbers have 13 characters, +1 numbers 12.
    const digits = (prefix.startsWith('+1') ? 12 : 13) - prefix.length;
    return prefix + String(10_000_000_000 + i * 7919).slice(-digits);
  });
}

async function main(): Promise<void> {
  const numbers = sampleNumbers(CHECKS);
  // The default metadata is what identity parsing has loaded long before any check.
  parsePhoneNumberFromString('+919876543210');
  const before = settledMemory();
  const loadStarted = performance.now();
  const { numberKindOf } = await import('../src/domain/number-types.js');
  numberKindOf('+919876543210');
  const loadMs = performance.now() - loadStarted;
  const after = settledMemory();

  for (const number of numbers.slice(0, 10_000)) numberKindOf(number); // warm-up
  const started = performance.now();
  const types: Record<string, number> = {};
  for (const number of numbers) {
    const type = numberKindOf(number).type ?? 'unknown';
    types[type] = (types[type] ?? 0) + 1;
  }
  const perCheckUs = ((performance.now() - started) * 1000) / numbers.length;

  console.log(`libphonenumber-js/max: +${(after.rssMb - before.rssMb).toFixed(1)} MB RSS, +${(after.heapMb - before.heapMb).toFixed(1)} MB heap, loaded in ${loadMs.toFixed(0)} ms`);
  console.log(`number type check: ${perCheckUs.toFixed(2)} µs per number (${numbers.length.toLocaleString('en')} numbers: ${JSON.stringify(types)})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
