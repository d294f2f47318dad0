// Finds out which backends this run can use. Outside CI an unreachable PostgreSQL or Redis skips
// those runs with a printed line; with CI=true they are required and the run fails instead.
import net from 'node:net';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type { Backend } from './backends.js';

async function postgresReachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisReachable(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(2000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG') ? undefined : `unexpected answer ${data.toString().trim()}`);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error) => resolve(error.message));
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const ci = process.env.CI === 'true';
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  const postgresProblem = await postgresReachable(postgresUrl);
  const redisProblem = await redisReachable(redisUrl);
  const missing = [
    postgresProblem && `PostgreSQL at ${postgresUrl}: ${postgresProblem}`,
    redisProblem && `Redis at ${redisUrl}: ${redisProblem}`,
  ].filter(Boolean);
  if (missing.length > 0) {
    if (ci) throw new Error(`CI=true requires every backend; unreachable: ${missing.join('; ')}`);
    for (const line of missing) console.warn(`SKIPPING the runs that need ${line}`);
  }

  const backends: Backend[] = ['sqlite'];
  if (!postgresProblem) backends.push('postgres');
  if (!postgresProblem && !redisProblem) backends.push('postgres+redis');
  project.provide('backends', backends);
  project.provide('postgresUrl', postgresProblem ? null : postgresUrl);
  project.provide('redisUrl', redisProblem ? null : redisUrl);
}
