// The abuse limits hold across two service processes sharing PostgreSQL (limits in the database)
// and PostgreSQL+Redis (limits in Redis): the per-identifier send cap, the per-address limit and
// the identifier lock, with requests spread over both instances at once.
import { describe, expect, it } from 'vitest';
import { postgresUrl, type Backend } from '../support/backends.js';
import { postJson } from '../support/process.js';
import { twoInstancesForBlock } from '../support/two-instances.js';

const variants: Backend[] = ['postgres', 'postgres+redis'];

// Without PostgreSQL (outside CI only) global-setup printed why these runs are skipped.
describe.each(postgresUrl() === null ? [] : variants)('limits across two instances on %s', (backend) => {
  let sequence = 0;
  const newPhone = () => `+9196100${String(++sequence).padStart(5, '0')}`;
  const either = (i: number) => (i % 2 === 0 ? pair.a : pair.b).url;
  const count = (answers: { status: number }[], status: number) => answers.filter((answer) => answer.status === status).length;

  const pair = twoInstancesForBlock(backend, {
    // Each test comes from its own forwarded address, so the address limit of one does not touch another.
    TRUST_PROXY: '1', // one proxy in front: the rightmost X-Forwarded-For entry is the client
    IP_SEND_LIMIT: '8/1h',
    OTP_RESEND_COOLDOWN_SECONDS: '0',
    OTP_SEND_LIMIT: '5/1h',
    IDENTIFIER_VERIFY_FAILURE_LIMIT: '3/1d',
  });

  it('lets exactly 5 of 30 parallel code requests for one number through, spread over both', async () => {
    const phone = newPhone();
    const from = { 'x-forwarded-for': '198.51.100.1' };
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => postJson(`${either(i)}/api/v1/auth/customer/register/request-otp`, { phone }, from)));
    expect(count(answers, 200)).toBe(5);
    expect(answers.filter((answer) => answer.status === 429).every((answer) => answer.body.code === 'OTP_SEND_LIMIT')).toBe(true);
    expect(pair.twilio.messages.filter((message) => message.to === phone)).toHaveLength(5);
  });

  it('lets exactly 8 of 30 parallel code requests from one address through, spread over both', async () => {
    const from = { 'x-forwarded-for': '198.51.100.2' };
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => postJson(`${either(i)}/api/v1/auth/register`, { type: 'phone', identifier: newPhone() }, from)),
    );
    expect(count(answers, 200)).toBe(8);
    expect(answers.filter((answer) => answer.status === 429).every((answer) => answer.body.code === 'RATE_LIMITED')).toBe(true);
  });

  it('locks a number on both once its failure budget is spent on either', async () => {
    const phone = newPhone();
    const from = { 'x-forwarded-for': '198.51.100.3' };
    expect((await postJson(`${pair.a.url}/api/v1/auth/register`, { type: 'phone', identifier: phone }, from)).status).toBe(200);
    const otp = await pair.twilio.waitForCode(phone);
    const wrong = String((Number(otp) + 1) % 1_000_000).padStart(6, '0');
    const guesses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postJson(`${either(i)}/api/v1/auth/verify-registration-otp`, { type: 'phone', identifier: phone, otp: wrong }, from)),
    );
    // Two wrong guesses answered as such, the third locks, the rest are refused: nothing else (no 5xx).
    expect(guesses.map((answer) => answer.status).sort()).toEqual([400, 400, 429, 429, 429, 429]);
    expect(guesses.filter((answer) => answer.status === 429).every((answer) => ['IDENTIFIER_LOCKED', 'OTP_ATTEMPTS_EXCEEDED'].includes(answer.body.code))).toBe(true);
    for (const instance of [pair.a, pair.b]) {
      const asked = await postJson(`${instance.url}/api/v1/auth/register`, { type: 'phone', identifier: phone }, from);
      expect(asked.body.code).toBe('IDENTIFIER_LOCKED');
      const verified = await postJson(`${instance.url}/api/v1/auth/verify-registration-otp`, { type: 'phone', identifier: phone, otp }, from);
      expect(verified.body.code).toBe('IDENTIFIER_LOCKED');
    }
  });
});
