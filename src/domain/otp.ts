// One-time codes: generated from the CSPRNG, stored only as a keyed hash, compared in constant time.
// HMAC-SHA256 rather than a slow password hash: a 6-digit code lives minutes and is guarded by the
// attempt limit, so the key (not the work factor) is what keeps a leaked table useless.
import { createHmac, createSecretKey, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { Purpose } from './ports.js';

export function generateCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += String(randomInt(10));
  return code;
}

/** The OTP hashing key: OTP_SECRET itself, or one derived from JWT_SECRET so one secret is enough. */
export function deriveOtpKey(secrets: { otpSecret?: string | undefined; jwtSecret: string }): Buffer {
  if (secrets.otpSecret !== undefined) return Buffer.from(secrets.otpSecret, 'utf8');
  return Buffer.from(hkdfSync('sha256', secrets.jwtSecret, 'customer-auth', 'otp-hmac-key', 32));
}

export function createCodeHasher(keyBytes: Buffer) {
  // A KeyObject made once: on Node 24 an HMAC keyed by a Buffer costs ~30 µs (the key is imported
  // on every call), one keyed by a KeyObject ~3 µs.
  const key = createSecretKey(keyBytes);
  /** Binds the code to its identifier and purpose: a code for one cannot verify another. */
  function hash(purpose: Purpose, identifier: string, code: string): string {
    return createHmac('sha256', key).update(`${purpose}\n${identifier}\n${code}`).digest('hex');
  }

  function matches(storedHash: string, purpose: Purpose, identifier: string, code: string): boolean {
    const expected = Buffer.from(storedHash, 'hex');
    const actual = Buffer.from(hash(purpose, identifier, code), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  return { hash, matches };
}

export type CodeHasher = ReturnType<typeof createCodeHasher>;
