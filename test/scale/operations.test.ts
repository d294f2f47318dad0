// Operating the service: the migrate command, MIGRATE_ON_START=false, and a database that
// cannot be reached (health says so, requests get 503 in the envelope, never a crash).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backendsUnderTest, freshDatabase, type FreshDatabase } from '../support/backends.js';
import { closedPort, postJson, spawnService } from '../support/process.js';
import { TEST_JWT_SECRET } from '../support/service.js';

const run = promisify(execFile);
const MIGRATE = fileURLToPath(new URL('../../dist/src/migrate.js', import.meta.url));
const databaseBackends = backendsUnderTest().filter((backend) => backend !== 'postgres+redis');

describe.each(databaseBackends)('npm run migrate on %s', (backend) => {
  const databases: FreshDatabase[] = [];
  afterAll(async () => Promise.all(databases.map((database) => database.drop())));

  it('applies the migrations once, then reports the schema up to date', async () => {
    const database = await freshDatabase(backend);
    databases.push(database);
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: database.url };
    expect((await run(process.execPath, [MIGRATE], { env })).stdout).toContain('applied: 001-initial');
    expect((await run(process.execPath, [MIGRATE], { env })).stdout).toContain('database is up to date');

    // A service told not to migrate starts on the migrated database and works.
    const service = await spawnService({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, MIGRATE_ON_START: 'false' });
    try {
      const asked = await postJson(`${service.url}/api/v1/auth/register`, { type: 'email', identifier: 'ops@example.com' });
      expect(asked.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe('a PostgreSQL that cannot be reached', () => {
  it('answers /ready 503 naming the database (and /health 200: the process lives), requests 503 SERVICE_UNAVAILABLE, and keeps running', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`;
    const service = await spawnService({ DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET, MIGRATE_ON_START: 'false' });
    try {
      const ready = await fetch(`${service.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', database: 'unavailable', migrations: 'unavailable', failed: ['database', 'migrations'] });
      const live = await fetch(`${service.url}/health`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      const asked = await postJson(`${service.url}/api/v1/auth/register`, { type: 'email', identifier: 'down@example.com' });
      expect(asked.status).toBe(503);
      expect(asked.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE', request_id: expect.any(String) });
      expect(service.child.exitCode).toBeNull();
    } finally {
      await service.stop();
    }
  });
});
