// The per-address limit under every TRUST_PROXY form, attacked through X-Forwarded-For: a client
// rotating the leftmost entry (which it writes itself), naming a real customer's address there,
// and sending headers thousands of characters long. The test plays the proxies: it connects from
// 127.0.0.1 and writes the header the proxy chain in front of the service would deliver.
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { V2, expectError, expectStatus, newPhone, sql } from '../support/flows.js';
import { spawnService } from '../support/process.js';
import { serviceForBlock, type Answer, type Service } from '../support/service.js';

const LIMIT = 5;
const WINDOW_MS = 60_000;
/** A real customer behind the proxies, whose budget the attacker tries to spend. */
const CUSTOMER = '203.0.113.50';
/**
 * The 3,000 characters that broke PostgreSQL's index on limit keys (random, so that PostgreSQL
 * cannot compress them under its limit), and a header near Node's 16 KiB limit on all headers.
 */
const LONG = randomBytes(1500).toString('hex');
const HUGE = `${LONG}, ${'garbage,'.repeat(1400)}`;

interface Form {
  trustProxy: string | undefined;
  /** The X-Forwarded-For the service receives when `client` sends `written` through the proxies. */
  delivered(written: string | undefined, client: string): string | undefined;
}

const FORMS: Form[] = [
  // No proxy: the test itself is the client, and what it writes arrives as written.
  { trustProxy: undefined, delivered: (written) => written },
  // One load balancer appends the address it saw.
  { trustProxy: '1', delivered: (written, client) => [written, client].filter(Boolean).join(', ') },
  // A CDN, then a load balancer: each appends the address it saw.
  { trustProxy: '2', delivered: (written, client) => [written, client, '192.0.2.10'].filter(Boolean).join(', ') },
  // The same two, named by address: the load balancer is the socket's peer (127.0.0.1), the CDN in 10/8.
  { trustProxy: '127.0.0.1, 10.0.0.0/8, fd00::/8', delivered: (written, client) => [written, client, '10.1.2.3'].filter(Boolean).join(', ') },
];

function spoofed(): string {
  return `${randomInt(1, 224)}.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** The client of every request line in the log (the limit's key for that request). */
function loggedClients(service: Service): string[] {
  return service
    .logs()
    .split('\n')
    .filter((line) => line.includes('"request completed"') || line.includes('"request errored"'))
    .map((line) => (JSON.parse(line) as { client: string }).client);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe.each(FORMS)('TRUST_PROXY=$trustProxy', (form) => {
    const service = serviceForBlock({
      backend,
      env: {
        IP_SEND_LIMIT: `${LIMIT}/${WINDOW_MS / 1000}s`,
        ...(form.trustProxy === undefined ? {} : { TRUST_PROXY: form.trustProxy }),
      },
    });
    const behindProxy = form.trustProxy !== undefined;
    const attacker = behindProxy ? '198.51.100.66' : '127.0.0.1';

    function register(client: string, written: string | undefined): Promise<Answer> {
      const header = form.delivered(written, client);
      return service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }, header === undefined ? {} : { 'x-forwarded-for': header });
    }

    /** Fires `count` parallel code requests from the attacker, each with another leftmost address. */
    async function attack(count: number, written: () => string = spoofed): Promise<Answer[]> {
      service.clock.advance(WINDOW_MS);
      return Promise.all(Array.from({ length: count }, () => register(attacker, written())));
    }

    function expectLimitHeld(answers: Answer[]): void {
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status >= 500), JSON.stringify(answers.find((answer) => answer.status >= 500)?.body)).toEqual([]);
      expect(statuses.filter((status) => status === 200), JSON.stringify(statuses)).toHaveLength(LIMIT);
      for (const refused of answers.filter((answer) => answer.status !== 200)) expectError(refused, 429, 'RATE_LIMITED');
    }

    it('holds the limit against parallel requests that rotate a spoofed leftmost X-Forwarded-For entry', async () => {
      const before = service.twilio.messages.length;
      expectLimitHeld(await attack(3 * LIMIT));
      expect(service.twilio.messages.length - before).toBe(LIMIT);
    });

    it('answers X-Forwarded-For of any length or content without a 5xx, and still counts it', async () => {
      const written = [HUGE, LONG, 'garbage', '', '203.0.113.50:4711', '[2001:db8::1]', '1.2.3.4.5', '::ffff:999.1.1.1'];
      const answers = await attack(written.length * 2, () => written[randomInt(0, written.length)]!);
      expectLimitHeld(answers);
      // A verify with such a header is answered as a verify, not with a 5xx.
      const phone = newPhone();
      const verify = await service.post(
        V2.verifyRegistration,
        { type: 'phone', identifier: phone.e164, otp: '123456' },
        { 'x-forwarded-for': form.delivered(HUGE, CUSTOMER)! },
      );
      expectError(verify, 400, 'OTP_NOT_FOUND');
    });

    it('keys every request by a parsed address, never by what the client wrote', async () => {
      await attack(2 * LIMIT, () => LONG);
      const clients = loggedClients(service);
      expect(clients.length).toBeGreaterThanOrEqual(2 * LIMIT);
      for (const client of clients) expect(client).toMatch(/^(\d{1,3}\.){3}\d{1,3}$|^[\da-f:]+::\/64$/);
      expect(clients).toContain(attacker);
      if (service.database.kind === 'sqlite' || backend === 'postgres') {
        // Without Redis the limit state is rows: their keys are those addresses (then "|" and the rule's window).
        const keys = (await sql(service, 'select key from limit_state')).map((row) => String(row.key));
        expect(keys).toContain(`ip:send:${attacker}|${WINDOW_MS}`);
        for (const key of keys.filter((k) => k.startsWith('ip:'))) expect(key).toMatch(/^ip:(send|verify|other):((\d{1,3}\.){3}\d{1,3}|[\da-f:]+::\/64)\|\d+$/);
      }
    });

    if (behindProxy) {
      it("does not charge the customer behind the proxy for the attacker's requests, even when they name the customer", async () => {
        expectLimitHeld(await attack(3 * LIMIT, () => CUSTOMER));
        expectLimitHeld(await Promise.all(Array.from({ length: LIMIT + 2 }, () => register(CUSTOMER, undefined))));
      });

      it('keys an IPv6 client by its /64: two addresses in one /64 share one budget, the next /64 has its own', async () => {
        service.clock.advance(WINDOW_MS);
        for (let request = 1; request <= LIMIT; request++) expectStatus(await register('2001:db8:1:2::a', spoofed()), 200);
        expectError(await register('2001:db8:1:2:ffff:ffff:ffff:b', spoofed()), 429, 'RATE_LIMITED');
        expectError(await register('2001:db8:1:2::c', undefined), 429, 'RATE_LIMITED');
        expectStatus(await register('2001:db8:1:3::a', undefined), 200);
        await expect.poll(() => loggedClients(service)).toContain('2001:db8:1:2::/64');
      });
    }
  });
});

describe('TRUST_PROXY=true', () => {
  it('stops start-up saying why and what to write instead', async () => {
    const started = spawnService({ TRUST_PROXY: 'true' });
    await expect(started).rejects.toThrow(
      /exited with 1 before listening:\nInvalid configuration: TRUST_PROXY must not be "true": .*leftmost X-Forwarded-For entry.*TRUST_PROXY=1/,
    );
  });
});

