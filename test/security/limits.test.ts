// The one limits mechanism seen from outside: per-address limits on every route family, the
// sliding window (GCRA) at a window edge, parallel requests against a cap, and a trusted proxy.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { ME, SAL27, V2, expectError, expectStatus, newPhone, smsCount } from '../support/flows.js';
import { DEFAULT_LIMITS, inParallel, statuses } from '../support/limits.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('per-address limits (IP_SEND_LIMIT=5/1m, IP_VERIFY_LIMIT=4/1m, IP_REQUEST_LIMIT=3/1m)', () => {
    const service = serviceForBlock({
      backend,
      env: { ...DEFAULT_LIMITS, IP_SEND_LIMIT: '5/1m', IP_VERIFY_LIMIT: '4/1m', IP_REQUEST_LIMIT: '3/1m' },
    });

    it('never lets twice the limit through across a window edge: 5 at 59 s, then at most 1 more by 61 s', async () => {
      service.clock.advance(59_000);
      const before = await inParallel(5, () => service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }));
      expect(statuses(before)).toEqual({ 200: 5 });
      service.clock.advance(2_000); // a fixed one-minute window would have reset here
      const after = await inParallel(5, () => service.post(SAL27.registerRequest, { phone: newPhone().e164 }));
      expect(statuses(after)).toEqual({ 429: 5 });
      for (const answer of after) expectError(answer, 429, 'RATE_LIMITED');
      // GCRA: one more every 60/5 = 12 s after the burst.
      expect(after[0]?.headers.get('retry-after')).toBe('10');
      service.clock.advance(10_000);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
      expectError(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 429, 'RATE_LIMITED');
      service.clock.advance(120_000);
    });

    it('lets exactly 5 of 30 parallel code requests from one address through, and sends exactly 5 messages', async () => {
      const phones = Array.from({ length: 30 }, () => newPhone());
      const answers = await inParallel(30, (i) => service.post(V2.register, { type: 'phone', identifier: phones[i]!.e164 }));
      expect(statuses(answers)).toEqual({ 200: 5, 429: 25 });
      expect(phones.reduce((total, phone) => total + smsCount(service, phone.e164), 0)).toBe(5);
      service.clock.advance(120_000);
    });

    it('counts verifies separately (IP_VERIFY_LIMIT), on both endpoint families', async () => {
      const answers = await inParallel(10, (i) =>
        service.post(i % 2 === 0 ? V2.verifyLogin : SAL27.loginVerify, i % 2 === 0 ? { type: 'phone', identifier: newPhone().e164, otp: '123456' } : { phone: newPhone().e164, otp: '123456' }),
      );
      expect(statuses(answers)).toEqual({ 400: 4, 429: 6 });
      // Sends are a separate count: still open.
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
      service.clock.advance(120_000);
    });

    it('limits every other route by IP_REQUEST_LIMIT (unknown paths too), but never /health', async () => {
      const answers = await inParallel(5, (i) => (i % 2 === 0 ? service.get(ME) : service.get('/no-such-route')));
      const counts = statuses(answers);
      expect(counts[429]).toBe(2);
      expect((counts[401] ?? 0) + (counts[404] ?? 0)).toBe(3);
      const refused = answers.find((answer) => answer.status === 429)!;
      expectError(refused, 429, 'RATE_LIMITED');
      expect(refused.headers.get('retry-after')).toBe('20');
      for (let i = 0; i < 10; i++) expect((await service.get('/health')).status).toBe(200);
    });
  });

  describe('per-address limits behind a trusted proxy (TRUST_PROXY=1, IP_SEND_LIMIT=2/1m)', () => {
    const service = serviceForBlock({ backend, env: { TRUST_PROXY: '1', IP_SEND_LIMIT: '2/1m' } });

    it('counts each forwarded client address on its own', async () => {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      for (const address of ['203.0.113.7', '198.51.100.9']) {
        for (let i = 0; i < 2; i++) expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }, from(address)), 200);
        expectError(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }, from(address)), 429, 'RATE_LIMITED');
      }
    });

    it('counts no other route while IP_REQUEST_LIMIT is off (the test default)', async () => {
      const answers = await inParallel(30, (i) => (i % 2 === 0 ? service.get(ME) : service.get('/no-such-route')));
      expect(statuses(answers)).toEqual({ 401: 15, 404: 15 });
    });
  });

  describe('per-address limits reached directly (no trusted proxy, IP_SEND_LIMIT=2/1m)', () => {
    const service = serviceForBlock({ backend, env: { IP_SEND_LIMIT: '2/1m' } });

    it('ignores a forged X-Forwarded-For: every request counts against the connecting address', async () => {
      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }, { 'x-forwarded-for': `203.0.113.${i + 1}` }));
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    });
  });
});
