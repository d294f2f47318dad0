// Development only: a JWT secret (and, for JWT_ALG=ES256 or EdDSA, a private key) generated once
// and kept on disk, so tokens survive restarts without anyone having to configure one. Production
// refuses to start without JWT_SECRET (and JWT_PRIVATE_KEY when the algorithm needs one).
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsymmetricAlgorithm } from './domain/keys.js';

export function developmentJwtSecret(directory: string): string {
  const file = join(directory, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(directory, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The development signing key for the algorithm, in `<directory>/jwt-<alg>-private.pem`. */
export function developmentPrivateKey(directory: string, algorithm: AsymmetricAlgorithm): { key: KeyObject; file: string } {
  const file = join(directory, `jwt-${algorithm.toLowerCase()}-private.pem`);
  if (existsSync(file)) return { key: createPrivateKey(readFileSync(file, 'utf8')), file };
  mkdirSync(directory, { recursive: true });
  const { privateKey } =
    algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { key: privateKey, file };
}
