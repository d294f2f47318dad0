// OTP_SEND_LIMIT (default 5/1h,10/1d): codes per identifier, across purposes, spellings and both
// endpoint families; a failed delivery does not count; one inbox is one count.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { SAL27, V2, emailCount, expectError, expectStatus, newPhone, registerPhone, smsCount } from '../support/flows.js';
import { DEFAULT_LIMITS, inParallel, statuses } from '../support/limits.js';
import { serviceForBlock } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('per-identifier send cap (OTP_SEND_LIMIT=5/1h,10/1d, cooldown off)', () => {
    const service = serviceForBlock({ backend, env: { ...DEFAULT_LIMITS, OTP_RESEND_COOLDOWN_SECONDS: '0' } });

    it('counts one number once in ten spellings and both endpoint families: the 6th code is refused with OTP_SEND_LIMIT', async () => {
      const phone = newPhone();
      const n = phone.national;
      const spellings: [string, object][] = [
        [V2.register, { type: 'phone', identifier: phone.e164 }],
        [SAL27.registerRequest, { phone: `+91 ${n.slice(0, 5)} ${n.slice(5)}` }],
        [V2.resendRegistration, { type: 'phone', identifier: n, country_code: '+91' }],
        [SAL27.registerRequest, { phone: `0${n}`, country_code: '91' }],
        [V2.register, { type: 'phone', identifier: `+91 (${n.slice(0, 5)}) ${n.slice(5)}` }],
        [SAL27.registerRequest, { phone: `+91-${n}` }],
        [V2.resendRegistration, { type: 'phone', identifier: `+91.${n}` }],
        [SAL27.registerRequest, { phone: `${n.slice(0, 3)} ${n.slice(3)}`, country_code: '+91' }],
        [V2.register, { type: 'phone', identifier: ` +91${n} ` }],
        [SAL27.registerRequest, { phone: `(0${n.slice(0, 4)}) ${n.slice(4)}`, country_code: '+91' }],
      ];
      const answers = [];
      for (const [path, body] of spellings) answers.push(await service.post(path, body));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
      expectError(answers[5]!, 429, 'OTP_SEND_LIMIT');
      // GCRA: after a burst of 5 per hour, one more every 12 minutes.
      expect(answers[5]!.headers.get('retry-after')).toBe('720');
      expect(smsCount(service, phone.e164)).toBe(5);
      service.clock.advance(720_000);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
    });

    it('counts across purposes: a registration code and login codes share the cap', async () => {
      const { phone } = await registerPhone(service);
      for (let i = 0; i < 4; i++) expectStatus(await service.post(i % 2 ? V2.login : SAL27.loginRequest, i % 2 ? { type: 'phone', identifier: phone.e164 } : { phone: phone.e164 }), 200);
      expectError(await service.post(V2.resendLogin, { type: 'phone', identifier: phone.e164 }), 429, 'OTP_SEND_LIMIT');
      expect(smsCount(service, phone.e164)).toBe(5);
    });

    it('does not count a code whose delivery failed', async () => {
      const phone = newPhone();
      service.twilio.setMode('server-error');
      try {
        for (let i = 0; i < 3; i++) expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 503, 'DELIVERY_FAILED');
      } finally {
        service.twilio.setMode('ok');
      }
      for (let i = 0; i < 5; i++) expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      expectError(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 429, 'OTP_SEND_LIMIT');
    });

    it('lets exactly 5 of 30 parallel requests for one number through', async () => {
      const phone = newPhone();
      const answers = await inParallel(30, (i) => service.post(i % 2 ? V2.register : SAL27.registerRequest, i % 2 ? { type: 'phone', identifier: phone.e164 } : { phone: phone.e164 }));
      expect(statuses(answers)).toEqual({ 200: 5, 429: 25 });
      expect(smsCount(service, phone.e164)).toBe(5);
    });

    it('counts one inbox once: +tags, Gmail dots and googlemail.com are one mailbox (for the cap only)', async () => {
      const aliases = ['sam.lee@gmail.com', 'samlee+a@gmail.com', 'S.A.M.L.E.E@googlemail.com', 'sa.mlee+shop@gmail.com', 'samlee@gmail.com', 'sam.l.ee+x@gmail.com'];
      const answers = [];
      for (const email of aliases) answers.push(await service.post(V2.register, { type: 'email', identifier: email }));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
      expectError(answers[5]!, 429, 'OTP_SEND_LIMIT');
      // Identity is untouched: each alias got its own code under its own spelling.
      expect(emailCount(service, 'samlee+a@gmail.com')).toBe(1);
      // Outside Gmail, dots are part of the address.
      expectStatus(await service.post(V2.register, { type: 'email', identifier: 'sam.lee@example.com' }), 200);
      expectStatus(await service.post(V2.register, { type: 'email', identifier: 'samlee@example.com' }), 200);
    });
  });
});
