// customer-auth <command>: the built CLI run as a process against the databases the service uses.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { ME, REFRESH, expectError, expectStatus, loginPhone, newEmail, newPhone, registerEmail, registerPhone } from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

// The CLI reads the database of record; Redis plays no part, so postgres+redis adds nothing.
const backends = backendsUnderTest().filter((backend) => backend !== 'postgres+redis');

describe.each(backends)('%s', (backend) => {
  const service = serviceForBlock({ backend });
  const env = () => ({ DATABASE_URL: service.database.url });

  describe('customer-auth customers show', () => {
    it('finds a customer by id, by email, and by any spelling of the phone number', async () => {
      const phone = newPhone();
      const email = newEmail('cli');
      const account = await registerPhone(service, phone, { name: 'Cli Person', username: `cli${phone.national}` });
      await registerEmail(service, email);
      const spellings = [`+91 ${phone.national.slice(0, 5)}-${phone.national.slice(5)}`, phone.e164, `0${phone.national}`, phone.national];
      for (const spelling of [String(account.customer.id), ...spellings]) {
        const run = await cli(['customers', 'show', spelling, '--json'], { ...env(), DEFAULT_COUNTRY: 'IN' });
        expect(run.code, `${spelling}: ${run.stderr}`).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ id: account.customer.id, phone_e164: phone.e164, status: 'active' });
      }
      // Without DEFAULT_COUNTRY a national number is looked up in every country.
      const national = await cli(['customers', 'show', phone.national, '--json'], env());
      expect(JSON.parse(national.stdout).id).toBe(account.customer.id);
      const byEmail = await cli(['customers', 'show', email.toUpperCase()], env());
      expect(byEmail.code).toBe(0);
      expect(byEmail.stdout).toMatch(/^id\s+status\s+phone_e164\s+email/);
      expect(byEmail.stdout).toContain(email);
    });

    it('exits 1 with a message on stderr for a customer not found', async () => {
      for (const query of ['nobody@example.com', '+919999999999', '999999']) {
        const run = await cli(['customers', 'show', query], env());
        expect(run.code, query).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(`no customer matches ${query}`);
      }
    });
  });

  describe('customer-auth customers block / unblock', () => {
    it('blocks: every session ends and the token is refused at once; unblocks: the account can sign in again; the security log says so', async () => {
      const account = await registerPhone(service);
      const bearer = { authorization: `Bearer ${account.token}` };
      expectStatus(await service.get(ME, bearer), 200);

      const blocked = await cli(['customers', 'block', String(account.customer.id)], env());
      expect(blocked.code, blocked.stderr).toBe(0);
      expect(blocked.stdout.trim()).toBe(`customer ${account.customer.id} is now blocked; 1 sessions revoked`);
      expect(blocked.stderr).toContain('"event":"account_blocked"');
      // The session was ended with the block: the token is refused as a token of an ended session.
      expectError(await service.get(ME, bearer), 401, 'UNAUTHORIZED');
      // Blocking ended the session, so unblocking does not bring the old tokens back.
      expectError(await service.post(REFRESH, { refresh_token: account.refreshToken }), 401, 'REFRESH_TOKEN_INVALID');

      const listed = await cli(['customers', 'list', '--status', 'blocked', '--json'], env());
      expect((JSON.parse(listed.stdout) as Array<{ id: number }>).map((customer) => customer.id)).toContain(account.customer.id);

      const unblocked = await cli(['customers', 'unblock', String(account.customer.id), '--json'], env());
      expect(unblocked.code).toBe(0);
      expect(JSON.parse(unblocked.stdout)).toMatchObject({ id: account.customer.id, status: 'active' });
      expectError(await service.get(ME, bearer), 401, 'UNAUTHORIZED');
      expectStatus(await service.get(ME, { authorization: `Bearer ${(await loginPhone(service, account.phone)).token}` }), 200);
    });

    it('exits 1 for an unknown id and for an id that is not a number', async () => {
      const unknown = await cli(['customers', 'block', '987654'], env());
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no customer with id 987654');
      const bad = await cli(['customers', 'block', 'abc'], env());
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('<id> must be a whole number');
    });
  });

  describe('customer-auth sessions revoke', () => {
    it('ends every live session of the customer: refresh and access tokens stop working at once', async () => {
      const first = await registerPhone(service);
      const second = await loginPhone(service, first.phone);
      const run = await cli(['sessions', 'revoke', String(first.customer.id), '--json'], env());
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ customer_id: first.customer.id, sessions_revoked: 2 });
      for (const signedIn of [first, second]) {
        expectError(await service.get(ME, { authorization: `Bearer ${signedIn.token}` }), 401, 'UNAUTHORIZED');
        expectError(await service.post(REFRESH, { refresh_token: signedIn.refreshToken }), 401, 'REFRESH_TOKEN_INVALID');
      }
      const again = await cli(['sessions', 'revoke', String(first.customer.id)], env());
      expect(again.stdout.trim()).toBe(`0 sessions of customer ${first.customer.id} revoked`);
    });

    it('exits 1 for an unknown customer', async () => {
      const run = await cli(['sessions', 'revoke', '987654'], env());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no customer with id 987654');
    });
  });

  describe('customer-auth customers list', () => {
    it('lists newest first as a table or JSON, honours --limit, and refuses a bad --status', async () => {
      await registerEmail(service);
      const latest = await registerEmail(service);
      const run = await cli(['customers', 'list', '--limit', '1', '--json'], env());
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([expect.objectContaining({ id: latest.customer.id })]);
      const table = await cli(['customers', 'list', '--limit', '2'], env());
      expect(table.stdout.trim().split('\n')).toHaveLength(3);
      const bad = await cli(['customers', 'list', '--status', 'gone'], env());
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Allowed choices are active, inactive, blocked');
    });
  });
});

describe('customer-auth --help', () => {
  it('explains every command and exits 0', async () => {
    for (const args of [[], ['serve'], ['migrate'], ['customers'], ['customers', 'list'], ['customers', 'show'], ['customers', 'block'], ['customers', 'unblock'], ['sessions'], ['sessions', 'revoke']]) {
      const run = await cli([...args, '--help']);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toMatch(/^Usage: customer-auth/);
    }
  });

  it('exits 1 on an unknown command', async () => {
    const run = await cli(['customers', 'delete', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unknown command 'delete'");
  });
});
