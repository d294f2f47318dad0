// A killed process loses no acknowledged account: SQLite in WAL mode commits before we answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../support/backends.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';
import { postJson, spawnService, spawnedServiceEnv, type ServiceProcess } from '../support/process.js';
import { TWILIO_SID, TWILIO_TOKEN } from '../support/service.js';

describe('kill -9 and restart on SQLite', () => {
  let twilio: FakeTwilio;
  let database: FreshDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    database = await freshDatabase('sqlite');
    env = {
      ...spawnedServiceEnv(database.url, twilio.url),
      IP_SEND_LIMIT: 'off',
      IP_VERIFY_LIMIT: 'off',
      IP_REQUEST_LIMIT: 'off',
    };
  });

  afterAll(async () => {
    await twilio.close();
    await database.drop();
  });

  it('keeps every registration it acknowledged before SIGKILL', async () => {
    let service: ServiceProcess = await spawnService(env);
    const acknowledged: string[] = [];
    let killed = false;

    async function register(index: number): Promise<void> {
      const phone = `+9197000${String(index).padStart(5, '0')}`;
      const asked = await postJson(`${service.url}/api/v1/auth/customer/register/request-otp`, { phone }).catch(() => undefined);
      if (asked?.status !== 200) return;
      const otp = await twilio.waitForCode(phone);
      const verified = await postJson(`${service.url}/api/v1/auth/customer/register/verify-otp`, { phone, otp }).catch(() => undefined);
      if (verified?.status === 201) acknowledged.push(phone);
    }

    // Registrations run in waves; the process is killed while one wave is in flight.
    const inFlight: Promise<void>[] = [];
    for (let index = 0; index < 60 && !killed; index++) {
      inFlight.push(register(index));
      if (index === 40) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        service.child.kill('SIGKILL');
        killed = true;
      } else if (index % 10 === 9) {
        await Promise.all(inFlight.splice(0));
      }
    }
    await Promise.all(inFlight);
    await service.stop();
    expect(service.child.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(30);

    service = await spawnService(env);
    try {
      for (const phone of acknowledged) {
        const login = await postJson(`${service.url}/api/v1/auth/customer/login/request-otp`, { phone });
        expect(login.status, `${phone}: ${JSON.stringify(login.body)}`).toBe(200);
      }
      const phone = acknowledged[0]!;
      const verified = await postJson(`${service.url}/api/v1/auth/customer/login/verify-otp`, { phone, otp: await twilio.waitForCode(phone) });
      expect(verified.status).toBe(200);
      expect(verified.body.data.customer.phone_e164).toBe(phone);
    } finally {
      await service.stop();
    }
  });
});
