// What the built server (dist/src/server.js, its own process) refuses at start-up, and what it
// says when it does: the rules of src/config.ts and src/dev-secret.ts as an operator meets them.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, postJson, spawnService } from '../support/process.js';
import { BUILT_IN_LOCALES } from '../../src/domain/messages/catalogue.js';
import { startService, TEST_JWT_SECRET, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN } from '../support/service.js';

const CONSOLE_IN_PRODUCTION = { NODE_ENV: 'production', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console', ALLOW_CONSOLE_DELIVERY: 'true' };
const PASSWORD = 'hunter2-db-password';

/** The whole output of a start that must fail; the test fails if the service starts instead. */
async function refusedStart(...args: Parameters<typeof spawnService>): Promise<string> {
  let service;
  try {
    service = await spawnService(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/exited with 1 before listening/);
    return (error as Error).message;
  }
  await service.stop();
  throw new Error(`the service started:\n${service.output()}`);
}

describe('start-up', () => {
  const directories: string[] = [];
  /** A working directory of its own, as a fresh clone is: ./data is made inside it. */
  function freshCheckout(): string {
    const directory = mkdtempSync(join(tmpdir(), 'customer-auth-start-'));
    directories.push(directory);
    return directory;
  }
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  describe('in production', () => {
    it('refuses APP_DEBUG=true, naming it', async () => {
      const output = await refusedStart({ ...CONSOLE_IN_PRODUCTION, JWT_SECRET: TEST_JWT_SECRET, APP_DEBUG: 'true' });
      expect(output).toMatch(/before listening:\nInvalid configuration: APP_DEBUG must not be true in production/);
    });

    it('refuses to start without JWT_SECRET, naming the variable', async () => {
      const output = await refusedStart(CONSOLE_IN_PRODUCTION);
      expect(output).toMatch(/before listening:\nInvalid configuration: JWT_SECRET must be set in production/);
    });

    it('refuses a weak JWT_SECRET, saying how to make one', async () => {
      const output = await refusedStart({ ...CONSOLE_IN_PRODUCTION, JWT_SECRET: 'password'.repeat(6) });
      expect(output).toMatch(/Invalid configuration: JWT_SECRET is too weak: .*openssl rand -base64 48/);
      expect(output).not.toContain('password');
    });

    it('logs a warning for an unsafe OTP setting that ALLOW_UNSAFE_OTP_SETTINGS=true lets through', async () => {
      const service = await startService({ env: { NODE_ENV: 'production', OTP_MAX_ATTEMPTS: '20', ALLOW_UNSAFE_OTP_SETTINGS: 'true' } });
      try {
        expect(service.logs()).toMatch(/"level":40.*OTP_MAX_ATTEMPTS is 20: .*allowed by ALLOW_UNSAFE_OTP_SETTINGS=true/);
      } finally {
        await service.close();
      }
    });
  });

  describe('with NODE_ENV unset', () => {
    it('refuses SMS_PROVIDER=twilio, asking for NODE_ENV', async () => {
      const twilio = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM };
      const output = await refusedStart({ NODE_ENV: undefined, ...twilio }, { cwd: freshCheckout() });
      expect(output).toMatch(/Invalid configuration: NODE_ENV is unset, but SMS_PROVIDER=twilio is a production setting: set NODE_ENV=production/);
    });

    it('starts in development with nothing set, as `npm start` on a fresh clone does', async () => {
      const checkout = freshCheckout();
      const service = await spawnService({ NODE_ENV: undefined, HOST: undefined }, { cwd: checkout });
      try {
        const asked = await postJson(`${service.url}/api/v1/auth/register`, { type: 'email', identifier: 'fresh@example.com' });
        expect(asked.status).toBe(200);
        expect(service.output()).toContain('using a generated development secret');
        expect(statSync(join(checkout, 'data', 'jwt-secret')).mode & 0o777).toBe(0o600);
      } finally {
        await service.stop();
      }
    });
  });

  describe('the development secret file (JWT_SECRET unset)', () => {
    function checkoutWithSecretFile(content: string, mode: number): string {
      const checkout = freshCheckout();
      mkdirSync(join(checkout, 'data'));
      writeFileSync(join(checkout, 'data', 'jwt-secret'), content, { mode });
      return checkout;
    }

    it('refuses a 1-character secret, naming the file', async () => {
      const checkout = checkoutWithSecretFile('x\n', 0o600);
      const output = await refusedStart({}, { cwd: checkout });
      expect(output).toContain(`Invalid configuration: JWT_SECRET is unset and the development secret file ${join(checkout, 'data', 'jwt-secret')} holds 1 characters, fewer than 32`);
    });

    it('refuses a secret other users can read, saying which chmod to run', async () => {
      const checkout = checkoutWithSecretFile(`${'k'.repeat(48)}\n`, 0o644);
      const file = join(checkout, 'data', 'jwt-secret');
      const output = await refusedStart({}, { cwd: checkout });
      expect(output).toContain(`${file} is open to other users (mode 0644): run chmod 600 ${file}`);
    });
  });

  describe('a DATABASE_URL holding a password', () => {
    it('is named without its password when it is mistyped', async () => {
      const output = await refusedStart({ DATABASE_URL: `postgress://auth:${PASSWORD}@db.internal/auth` });
      expect(output).toContain('Invalid configuration: DATABASE_URL must start with sqlite:, postgres:// or postgresql://, got "postgress://***@db.internal/auth"');
      expect(output).not.toContain(PASSWORD);
    });

    it.each([
      ['cannot be reached', async () => `127.0.0.1:${await closedPort()}`, 'ECONNREFUSED'],
      ['names a port that cannot exist', async () => '127.0.0.1:99999', 'Invalid URL'],
    ])('is not printed when the database %s at start-up', async (_label, hostAndPort, cause) => {
      const output = await refusedStart({ JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: `postgres://auth:${PASSWORD}@${await hostAndPort()}/auth` });
      expect(output).toContain(cause);
      expect(output).not.toContain(PASSWORD);
    });
  });

  describe('TEMPLATES_DIR and SMS_MAX_SEGMENTS', () => {
    function templatesDir(files: Record<string, string>): string {
      const directory = join(freshCheckout(), 'templates');
      mkdirSync(directory);
      for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
      return directory;
    }

    it.each([
      { case: 'an unknown placeholder', content: JSON.stringify({ login: { sms: 'Hello {name}, your code is {code}' } }), problem: 'login.sms uses unknown placeholder {name}' },
      { case: 'a template without the code', content: JSON.stringify({ register: { email_text: 'Welcome!' } }), problem: 'register.email_text does not contain {code}' },
      { case: 'invalid JSON', content: '{"login": ', problem: 'is not valid JSON' },
    ])('refuses a file with $case, naming the file and the problem', async ({ content, problem }) => {
      const directory = templatesDir({ 'en.json': '{}', 'hi.json': content });
      const output = await refusedStart({ JWT_SECRET: TEST_JWT_SECRET, TEMPLATES_DIR: directory }, { cwd: freshCheckout() });
      expect(output).toContain(`Invalid configuration: TEMPLATES_DIR template problem in ${join(directory, 'hi.json')}: `);
      expect(output).toContain(problem);
    });

    it('refuses an SMS template over SMS_MAX_SEGMENTS, naming the template, its encoding and its segments', async () => {
      const output = await refusedStart({ JWT_SECRET: TEST_JWT_SECRET, SMS_MAX_SEGMENTS: '1', WEBOTP_DOMAIN: 'shop.example.com' }, { cwd: freshCheckout() });
      expect(output).toMatch(/Invalid configuration: SMS_MAX_SEGMENTS template problem in built-in "hi" templates: login\.sms renders to 2 UCS-2 segments/);
    });

    it('sends the text of an operator\'s template, and logs the size of every SMS template', async () => {
      const directory = templatesDir({ 'en.json': JSON.stringify({ login: { sms: 'Shop login code: {code}' } }), 'pt-BR.json': JSON.stringify(BUILT_IN_LOCALES.es) });
      const service = await startService({ env: { TEMPLATES_DIR: directory } });
      try {
        const phone = { e164: '+919876599001' };
        expect((await service.post('/api/v1/auth/register', { type: 'phone', identifier: phone.e164, locale: 'pt-BR' })).status).toBe(200);
        expect(service.twilio.messages.at(-1)?.body).toMatch(/^Tu clave para crear la cuenta es \d{6}/);
        expect(service.logs()).toMatch(/"locale":"pt-br","purpose":"login","encoding":"GSM-7","segments":1/);
      } finally {
        await service.close();
      }
    });
  });
});
