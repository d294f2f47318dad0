// What one access token costs to sign and to verify with each JWT_ALG, through the service's own
// code (src/domain/tokens.ts over fast-jwt and node:crypto), one core, no I/O:
//   node dist/bench/token-cost.js [iterations]
// Measured as this process's CPU time (user + system), not wall time, so a machine busy with other
// work slows the run down without inflating the price much.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createKeyRing, type KeyRingInput } from '../src/domain/keys.js';
import { createTokens } from '../src/domain/tokens.js';

const iterations = Number(process.argv[2] ?? 20_000);

const inputs: KeyRingInput[] = [
  { algorithm: 'HS256', secret: randomBytes(32).toString('base64url') },
  { algorithm: 'ES256', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, previousPublicKeys: [] },
  { algorithm: 'EdDSA', privateKey: generateKeyPairSync('ed25519').privateKey, previousPublicKeys: [] },
];

async function microsecondsPer(work: (index: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(1000, iterations); i++) await work(i); // warm-up
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await work(i);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / iterations;
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${iterations} tokens per measurement`);
  console.log('| JWT_ALG | sign, CPU µs/token | verify, CPU µs/token |');
  console.log('|:--|--:|--:|');
  for (const input of inputs) {
    const tokens = createTokens({ keys: createKeyRing(input), ttlSeconds: 3600, issuer: 'customer-auth', audience: undefined });
    const nowMs = Date.now();
    const claims = { customerId: 1, sessionId: randomBytes(16).toString('base64url') };
    const signed: string[] = [];
    const sign = await microsecondsPer(async (i) => {
      const issued = await tokens.sign(claims, nowMs);
      if (signed.length < 1000) signed[i % 1000] = issued.token;
    });
    const verify = await microsecondsPer(async (i) => {
      if ((await tokens.verify(signed[i % signed.length]!, nowMs)) === undefined) throw new Error('a token did not verify');
    });
    console.log(`| ${input.algorithm} | ${sign.toFixed(1)} | ${verify.toFixed(1)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
