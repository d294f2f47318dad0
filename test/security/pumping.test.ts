// SMS pumping defence: SMS_BUDGET (global) and SMS_BUDGET_PER_COUNTRY answer 503
// SMS_BUDGET_EXHAUSTED when spent, and the conversion guard (SMS_GUARD_MIN_SENDS,
// SMS_GUARD_MIN_VERIFY_RATIO) throttles a country whose codes are sent but not verified. Email and
// other countries keep working.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { V2, expectError, expectStatus, newEmail, newPhone, smsCode } from '../support/flows.js';
import { inParallel, statuses } from '../support/limits.js';
import { serviceForBlock } from '../support/service.js';

let ukSequence = 0;
/** A valid UK mobile number not used before in this process. */
function newUkPhone(): string {
  ukSequence += 1;
  return `+4479111${String(ukSequence).padStart(5, '0')}`;
}

const errorLines = (logs: string) => logs.split('\n').filter((line) => line.includes('"level":50'));

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('SMS budgets (SMS_BUDGET=4/1h, SMS_BUDGET_PER_COUNTRY=2/1h)', () => {
    const service = serviceForBlock({ backend, env: { SMS_BUDGET: '4/1h', SMS_BUDGET_PER_COUNTRY: '2/1h' } });

    it('refuses SMS to a country whose budget is spent, then every SMS once the global one is, while email keeps working', async () => {
      for (let i = 0; i < 2; i++) expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
      const india = await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 });
      expectError(india, 503, 'SMS_BUDGET_EXHAUSTED');
      expect(Number(india.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(errorLines(service.logs()).some((line) => line.includes('"countryCode":"+91"'))).toBe(true);

      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newUkPhone() }), 200);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newUkPhone() }), 200);
      // Global budget (4) spent now: a third country is refused too.
      expectError(await service.post(V2.register, { type: 'phone', identifier: '+12025550143' }), 503, 'SMS_BUDGET_EXHAUSTED');
      expectStatus(await service.post(V2.register, { type: 'email', identifier: newEmail() }), 200);
      // A refused request takes nothing: after 15 minutes (1h/4) exactly one SMS passes again.
      service.clock.advance(15 * 60_000);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: '+12025550144' }), 200);
      expectError(await service.post(V2.register, { type: 'phone', identifier: '+12025550145' }), 503, 'SMS_BUDGET_EXHAUSTED');
      service.clock.advance(3 * 3600_000);
    });

    it('never spends a budget past its limit under 20 parallel requests', async () => {
      const answers = await inParallel(20, () => service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }));
      expect(statuses(answers)).toEqual({ 200: 2, 503: 18 });
    });
  });

  describe('conversion guard (SMS_GUARD_MIN_SENDS=5, SMS_GUARD_MIN_VERIFY_RATIO=0.2)', () => {
    const service = serviceForBlock({ backend, env: { SMS_GUARD_MIN_SENDS: '5', SMS_GUARD_MIN_VERIFY_RATIO: '0.2' } });

    it('throttles a country whose codes go unverified, leaves email and other countries alone, and recovers with verifies', async () => {
      const phones = Array.from({ length: 5 }, () => newPhone());
      for (const phone of phones) expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const throttled = await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 });
      expectError(throttled, 503, 'SMS_COUNTRY_THROTTLED');
      expect(errorLines(service.logs()).some((line) => line.includes('SMS_COUNTRY_THROTTLED'))).toBe(true);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newUkPhone() }), 200);
      expectStatus(await service.post(V2.register, { type: 'email', identifier: newEmail() }), 200);

      // One verified code of five: the ratio is 0.2 again, no longer below it.
      const first = phones[0]!;
      expectStatus(await service.post(V2.verifyRegistration, { type: 'phone', identifier: first.e164, otp: smsCode(service, first.e164) }), 201);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
      expectError(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 503, 'SMS_COUNTRY_THROTTLED');

      // An hour later the sends have left the window.
      service.clock.advance(3600_000);
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
    });
  });

  describe('conversion guard off (SMS_GUARD_MIN_SENDS=off)', () => {
    const service = serviceForBlock({ backend, env: { SMS_GUARD_MIN_SENDS: 'off' } });

    it('lets unverified codes go on being sent', async () => {
      for (let i = 0; i < 12; i++) expectStatus(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 200);
    });
  });
});
