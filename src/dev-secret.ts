// Development only: a JWT secret (and, for JWT_ALG=ES256 or EdDSA, a private key) generated once
// and kept on disk, so tokens survive restarts without anyone having to configure one. Production
// refuses to start without JWT_SECRET (and JWT_PRIVATE_KEY when the algorithm needs one).
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config.js';
import type { AsymmetricAlgorithm } from './domain/keys.js';

/** The length the file's secret must have: the same floor as a configured JWT_SECRET in development. */
const MIN_SECRET_CHARACTERS = 32;

/**
 * The secret in `<directory>/jwt-secret`, made (mode 0600) when the file does not exist. A file
 * that is shorter than 32 characters (tokens signed with a 1-character key are forgeable), or that
 * other users may read or write, stops start-up with the fix to apply: a file is never rewritten
 * or re-permissioned behind its owner's back.
 */
export function developmentJwtSecret(directory: string): string {
  const file = resolve(directory, 'jwt-secret');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(directory, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
  try {
    // Windows has no permission bits to judge (stat reports 0666 for every writable file).
    const mode = fstatSync(fd).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new ConfigError('JWT_SECRET', `is unset and the development secret file ${file} is open to other users (mode 0${mode.toString(8)}): run chmod 600 ${file}`);
    }
    const secret = readFileSync(fd, 'utf8').trim();
    if (secret.length < MIN_SECRET_CHARACTERS) {
      throw new ConfigError(
        'JWT_SECRET',
        `is unset and the development secret file ${file} holds ${secret.length} characters, fewer than ${MIN_SECRET_CHARACTERS}: delete the file to have a new secret made, or set JWT_SECRET`,
      );
    }
    return secret;
  } finally {
    closeSync(fd);
  }
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
