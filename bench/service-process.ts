// The service under test as its own production process, and the PostgreSQL processes serving it.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { loadTestServiceEnv, type FakeTwilio } from './fake-twilio-process.js';
import { freePort, spawnNode, waitForHealthy, type Spawned } from './processes.js';
import { SERVER_SCRIPT, SERVICE_NODE_ARGS } from './settings.js';

export interface Service {
  name: string;
  database: 'sqlite' | 'postgres';
  dbConfig: DatabaseConfig;
  proc: Spawned;
  url: string;
  /** Processes whose CPU each run measures: the server, and PostgreSQL's processes when local. */
  pids: Record<string, number | number[]>;
  /** Looks the PostgreSQL processes up again (the pool opens connections as load arrives). */
  refreshPids(): Promise<void>;
}

/**
 * PostgreSQL's processes serving this database (backends, plus the background writer, checkpointer,
 * WAL writer and autovacuum), when the server runs on this machine; none when it does not.
 */
export async function postgresPids(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where (datname = current_database() or datname is null) and pid <> pg_backend_pid()',
    );
    return rows.map((row) => row.pid).filter((pid) => existsSync(`/proc/${pid}/stat`) && /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
  } catch {
    return [];
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the service is started with, secrets masked (printed and kept in the JSON). */
export let serviceEnvShown: Record<string, string> | undefined;

export async function startService(
  name: string,
  database: Service['database'],
  databaseUrl: string,
  dbConfig: DatabaseConfig,
  twilio: FakeTwilio,
  logPath: string,
  /** Settings that differ from the load-test environment (metrics-ab.ts turns metrics off in one). */
  overrides: Record<string, string> = {},
): Promise<Service> {
  const port = await freePort();
  const env = { ...loadTestServiceEnv({ databaseUrl, twilio, port }), ...overrides };
  serviceEnvShown ??= Object.fromEntries(
    Object.entries(env)
      .filter(([key]) => key !== 'PATH')
      .map(([key, value]) => [
        key,
        key === 'JWT_SECRET' || key === 'TWILIO_AUTH_TOKEN' ? '<random>' : key === 'DATABASE_URL' || key === 'PORT' || key === 'TWILIO_API_BASE_URL' ? '<per run>' : value,
      ]),
  );
  const proc = spawnNode({ name, script: SERVER_SCRIPT, nodeArgs: SERVICE_NODE_ARGS, env, logPath });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(proc, `${url}/health`);
  const pids: Service['pids'] = { server: proc.pid };
  return {
    name,
    database,
    dbConfig,
    proc,
    url,
    pids,
    async refreshPids() {
      if (database !== 'postgres') return;
      const found = await postgresPids(databaseUrl);
      if (found.length > 0) pids.postgres = found;
    },
  };
}

