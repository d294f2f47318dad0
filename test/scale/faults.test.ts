// Backing services failing under load: requests in flight fail cleanly (503 in the envelope),
// the service recovers by itself, and nothing acknowledged is lost or skipped.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl, redisUrl, withClient } from '../support/backends.js';
import { startService, type Service } from '../support/service.js';

const REGISTER = '/api/v1/auth/customer/register/request-otp';
const VERIFY = '/api/v1/auth/customer/register/verify-otp';

describe.runIf(postgresUrl() !== null)('PostgreSQL connections killed while requests run', () => {
  let service: Service;
  let sequence = 0;
  const newPhone = () => `+9195000${String(++sequence).padStart(5, '0')}`;

  beforeAll(async () => {
    service = await startService({ backend: 'postgres' });
  });
  afterAll(async () => service?.close());

  const terminateServiceConnections = () =>
    withClient(postgresUrl()!, (client) =>
      client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [service.database.schema]),
    );

  it('answers 503 SERVICE_UNAVAILABLE to requests in flight, then recovers without a restart', async () => {
    const phone = newPhone();
    expect((await service.post(REGISTER, { phone })).status).toBe(200);
    const otp = service.twilio.latestCode(phone)!;

    // Hold the customers table so the verifies are provably in flight when their connections die.
    const blocked = await withClient(postgresUrl()!, async (admin) => {
      await admin.query(`set search_path = ${service.database.schema}`);
      await admin.query('begin');
      await admin.query('lock table customers in access exclusive mode');
      const verifies = Array.from({ length: 5 }, () => service.post(VERIFY, { phone, otp }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await terminateServiceConnections();
      const answers = await Promise.all(verifies);
      await admin.query('rollback');
      return answers;
    });
    for (const answer of blocked) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    }

    // Recovered by itself: the same code still verifies (nothing was consumed by the failed tries).
    const verified = await service.post(VERIFY, { phone, otp });
    expect(verified.status, JSON.stringify(verified.body)).toBe(201);
    expect((await service.get('/ready')).status).toBe(200);
  });

  it('loses no acknowledged registration while connections are killed again and again', async () => {
    const acknowledged: string[] = [];
    const statuses = new Set<number>();
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await terminateServiceConnections();
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 10; i++) {
          const phone = newPhone();
          const asked = await service.post(REGISTER, { phone });
          statuses.add(asked.status);
          if (asked.status !== 200) continue;
          const verified = await service.post(VERIFY, { phone, otp: service.twilio.latestCode(phone)! });
          statuses.add(verified.status);
          if (verified.status === 201) acknowledged.push(phone);
          else expect(verified.body.code).toBe('SERVICE_UNAVAILABLE');
        }
      }),
    );
    killing = false;
    await killer;
    expect([...statuses].every((status) => [200, 201, 503].includes(status)), [...statuses].join(',')).toBe(true);
    const stored = await withClient(postgresUrl()!, (client) =>
      client.query(`select phone_e164 from ${service.database.schema}.customers where phone_validate = 1`),
    );
    const phones = new Set(stored.rows.map((row: { phone_e164: string }) => row.phone_e164));
    for (const phone of acknowledged) expect(phones.has(phone), phone).toBe(true);
    expect((await service.get('/ready')).status).toBe(200);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
  });
}

describe.runIf(postgresUrl() !== null && redisUrl() !== null)('Redis going away', () => {
  let service: Service;
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    service = await startService({ backend: 'postgres', env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await service?.close();
    redis?.kill('SIGKILL');
  });

  it('answers 503 instead of skipping a limit, says so in the log, and recovers when Redis is back', async () => {
    const first = '+919400000001';
    expect((await service.post(REGISTER, { phone: first })).status).toBe(200);

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    // The cooldown taken above lived in Redis: without it, the service must refuse, not allow.
    const during = await service.post(REGISTER, { phone: first });
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    const fresh = await service.post(REGISTER, { phone: '+919400000002' });
    expect(fresh.status).toBe(503);
    expect((await service.get('/ready')).status).toBe(503);
    expect((await service.get('/ready')).body.failed).toEqual(['redis']);
    expect(service.logs()).toMatch(/Redis unavailable: OTP requests and verifies answer 503/);

    redis = await startRedis(port);
    let recovered = 0;
    for (let i = 0; i < 50 && recovered === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if ((await service.get('/ready')).status === 200) recovered = 1;
    }
    expect(recovered).toBe(1);
    expect((await service.post(REGISTER, { phone: '+919400000003' })).status).toBe(200);
  });
});
