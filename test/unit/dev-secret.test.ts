// The development secret file (./data/jwt-secret when JWT_SECRET is unset): made safe, and refused
// when it is too short to sign with or open to other users.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { developmentJwtSecret } from '../../src/dev-secret.js';

describe('developmentJwtSecret', () => {
  let directory: string;
  let file: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'dev-secret-'));
    file = join(directory, 'jwt-secret');
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('makes a random secret readable by its owner alone, and reads the same one back', () => {
    const secret = developmentJwtSecret(join(directory, 'data'));
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(statSync(join(directory, 'data', 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(developmentJwtSecret(join(directory, 'data'))).toBe(secret);
  });

  it('reads a file someone wrote, when it is long enough and private', () => {
    writeFileSync(file, `${'k'.repeat(32)}\n`, { mode: 0o600 });
    expect(developmentJwtSecret(directory)).toBe('k'.repeat(32));
  });

  it.each([
    ['one character', 'x', '1 characters'],
    ['31 characters', 'k'.repeat(31), '31 characters'],
    ['nothing', '', '0 characters'],
  ])('refuses a file holding %s, naming the file', (_label, content, held) => {
    writeFileSync(file, content, { mode: 0o600 });
    expect(() => developmentJwtSecret(directory)).toThrow(ConfigError);
    expect(() => developmentJwtSecret(directory)).toThrow(`development secret file ${file} holds ${held}, fewer than 32`);
  });

  it.each([
    ['0644', 0o644],
    ['0640', 0o640],
    ['0604', 0o604],
    ['0660', 0o660],
    ['0666', 0o666],
  ])('refuses a file with mode %s, saying to chmod 600 it', (_label, mode) => {
    writeFileSync(file, 'k'.repeat(48));
    chmodSync(file, mode);
    expect(() => developmentJwtSecret(directory)).toThrow(`${file} is open to other users (mode 0${mode.toString(8)}): run chmod 600 ${file}`);
    expect(readFileSync(file, 'utf8')).toBe('k'.repeat(48));
    expect(statSync(file).mode & 0o777).toBe(mode);
  });

  it('accepts a read-only file of its owner (0400)', () => {
    writeFileSync(file, 'k'.repeat(48));
    chmodSync(file, 0o400);
    expect(developmentJwtSecret(directory)).toBe('k'.repeat(48));
  });
});
