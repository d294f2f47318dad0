// The databases a suite runs against: SQLite always; PostgreSQL (and Redis for limits) when
// test/support/global-setup.ts found them reachable, and always in CI, where they are required.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of record, optionally with Redis holding the limits (the production shape). */
export type Backend = 'sqlite' | 'postgres' | 'postgres+redis';

declare module 'vitest' {
  export interface ProvidedContext {
    backends: Backend[];
    postgresUrl: string | null;
    redisUrl: string | null;
  }
}

export function backendsUnderTest(): Backend[] {
  return inject('backends');
}

export function postgresUrl(): string | null {
  return inject('postgresUrl');
}

export function redisUrl(): string | null {
  return inject('redisUrl');
}

/** A Redis key prefix no other test shares, or undefined when this backend keeps limits in the database. */
export function redisFor(backend: Backend): { url: string; prefix: string } | undefined {
  if (backend !== 'postgres+redis') return undefined;
  const url = redisUrl();
  if (url === null) throw new Error('Redis is not available to this run');
  return { url, prefix: `test-${randomBytes(6).toString('hex')}:` };
}

export interface FreshDatabase {
  backend: Backend;
  kind: 'sqlite' | 'postgres';
  url: string;
  /** PostgreSQL: the private schema, also the connections' application_name. */
  schema?: string;
  drop(): Promise<void>;
}

/** A private SQLite file, or a private schema in the run's PostgreSQL database. */
export async function freshDatabase(backend: Backend): Promise<FreshDatabase> {
  if (backend === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'customer-auth-'));
    return {
      backend,
      kind: 'sqlite',
      url: `sqlite:${join(directory, 'test.db')}`,
      async drop() {
        rmSync(directory, { recursive: true, force: true });
      },
    };
  }
  const base = postgresUrl();
  if (base === null) throw new Error('PostgreSQL is not available to this run');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withClient(base, (client) => client.query(`create schema ${schema}`));
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  // Lets a fault test terminate exactly this service's connections and nobody else's.
  url.searchParams.set('application_name', schema);
  return {
    backend,
    kind: 'postgres',
    url: url.toString(),
    schema,
    async drop() {
      await withClient(base, (client) => client.query(`drop schema if exists ${schema} cascade`));
    },
  };
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
