// Two service processes behind one "load balancer" (the test picks the instance), sharing one
// PostgreSQL database, and in a second variant Redis: every core rule holds across them.
import { describe, expect, it } from 'vitest';
import { postgresUrl, withClient, type Backend } from '../support/backends.js';
import { postJson } from '../support/process.js';
import { twoInstancesForBlock } from '../support/two-instances.js';

const variants: Backend[] = ['postgres', 'postgres+redis'];

// Without PostgreSQL (outside CI only) global-setup printed why these runs are skipped.
describe.each(postgresUrl() === null ? [] : variants)('two instances on %s', (backend) => {
  let sequence = 0;
  const newPhone = () => `+9196000${String(++sequence).padStart(5, '0')}`;

  const pair = twoInstancesForBlock(backend, { IP_SEND_LIMIT: 'off', IP_VERIFY_LIMIT: 'off', IP_REQUEST_LIMIT: 'off' });

  async function registered(phone: string): Promise<void> {
    expect((await postJson(`${pair.a.url}/api/v1/auth/customer/register/request-otp`, { phone })).status).toBe(200);
    const otp = await pair.twilio.waitForCode(phone);
    expect((await postJson(`${pair.b.url}/api/v1/auth/customer/register/verify-otp`, { phone, otp })).status).toBe(201);
  }

  it('verifies on B a code requested on A', async () => {
    const phone = newPhone();
    await registered(phone);
    expect((await postJson(`${pair.b.url}/api/v1/auth/login`, { type: 'phone', identifier: phone })).status).toBe(200);
    const otp = await pair.twilio.waitForCode(phone);
    const verified = await postJson(`${pair.a.url}/api/v1/auth/verify-login-otp`, { type: 'phone', identifier: phone, otp });
    expect(verified.status).toBe(200);
    expect(verified.body.data.customer.phone_e164).toBe(phone);
  });

  it("refuses on B a resend inside A's cooldown", async () => {
    const phone = newPhone();
    expect((await postJson(`${pair.a.url}/api/v1/auth/register`, { type: 'phone', identifier: phone })).status).toBe(200);
    const resend = await postJson(`${pair.b.url}/api/v1/auth/resend-registration-otp`, { type: 'phone', identifier: phone });
    expect(resend.status).toBe(429);
    expect(resend.body.code).toBe('OTP_COOLDOWN');
    expect(resend.body.message).toMatch(/^Please wait \d+ seconds before requesting a new OTP$/);
  });

  it('gives exactly one token for 25 parallel verifies spread over both', async () => {
    const phone = newPhone();
    await registered(phone);
    pair.twilio.clear();
    expect((await postJson(`${pair.a.url}/api/v1/auth/customer/login/request-otp`, { phone })).status).toBe(200);
    const otp = await pair.twilio.waitForCode(phone);
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => postJson(`${(i % 2 === 0 ? pair.a : pair.b).url}/api/v1/auth/customer/login/verify-otp`, { phone, otp })),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((answer) => answer.status !== 200)) {
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('OTP_NOT_FOUND');
    }
  });

  it('creates one account from parallel registrations of one number across both', async () => {
    const phone = newPhone();
    const asks = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postJson(`${(i % 2 === 0 ? pair.a : pair.b).url}/api/v1/auth/customer/register/request-otp`, { phone })),
    );
    expect(asks.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(pair.twilio.messages.filter((message) => message.to === phone)).toHaveLength(1);
    const otp = await pair.twilio.waitForCode(phone);
    const verifies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postJson(`${(i % 2 === 0 ? pair.a : pair.b).url}/api/v1/auth/customer/register/verify-otp`, { phone, otp })),
    );
    expect(verifies.filter((answer) => answer.status === 201)).toHaveLength(1);
    const rows = await withClient(pair.database.url, (client) =>
      client.query('select count(*)::int as n from customers where phone_e164 = $1', [phone]),
    );
    expect(rows.rows[0].n).toBe(1);
  });
});
