// GET /metrics: Prometheus text with bounded labels, counting what the flows did.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { COOLDOWN_MS, ME, V2, expectError, expectStatus, loginEmail, newPhone, otherCode, registerEmail, registerPhone, smsCode } from '../support/flows.js';
import { serviceForBlock, startService } from '../support/service.js';

/** The value of one sample: `name{labels}` exactly as exposed, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'));
    const have = inside.split(',');
    if (wanted.every((pair) => have.includes(pair)) && have.length === wanted.length) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('GET /metrics', () => {
    it('counts codes sent, verifies by outcome, registrations, logins and refusals, with bounded labels', async () => {
      const phone = newPhone();
      await registerPhone(service, phone);
      const account = await registerEmail(service);
      service.clock.advance(COOLDOWN_MS);
      await loginEmail(service, account.email);

      // Wrong, then used-up codes; a cooldown refusal; a failed delivery.
      const other = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: other.e164 }), 200);
      const code = smsCode(service, other.e164);
      for (let attempt = 1; attempt <= 5; attempt++) {
        await service.post(V2.verifyRegistration, { type: 'phone', identifier: other.e164, otp: otherCode(code, attempt) });
      }
      expectError(await service.post(V2.verifyRegistration, { type: 'phone', identifier: other.e164, otp: code }), 429, 'OTP_ATTEMPTS_EXCEEDED');
      expectError(await service.post(V2.register, { type: 'phone', identifier: other.e164 }), 429, 'OTP_COOLDOWN');
      expectError(await service.post(V2.verifyLogin, { type: 'phone', identifier: newPhone().e164, otp: '123456' }), 400, 'OTP_NOT_FOUND');
      service.twilio.setMode('server-error');
      expectError(await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 }), 503, 'DELIVERY_FAILED');
      service.twilio.setMode('ok');
      expectError(await service.get(ME), 401, 'UNAUTHORIZED');

      const answer = await service.get('/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = String(answer.body);

      const sms = { channel: 'phone', provider: 'twilio', destination: '+91' };
      expect(sample(text, 'otp_codes_requested_total', sms)).toBe(3);
      expect(sample(text, 'otp_codes_delivered_total', sms)).toBe(2);
      expect(sample(text, 'otp_codes_failed_total', sms)).toBe(1);
      expect(sample(text, 'otp_codes_delivered_total', { channel: 'email', provider: 'smtp', destination: 'email' })).toBe(2);
      const phoneRegister = { channel: 'phone', purpose: 'register', destination: '+91' };
      expect(sample(text, 'otp_verifications_total', { ...phoneRegister, outcome: 'success' })).toBe(1);
      expect(sample(text, 'otp_verifications_total', { ...phoneRegister, outcome: 'invalid' })).toBe(4);
      expect(sample(text, 'otp_verifications_total', { ...phoneRegister, outcome: 'attempts_exceeded' })).toBe(2);
      expect(sample(text, 'otp_verifications_total', { channel: 'phone', purpose: 'login', destination: '+91', outcome: 'not_found' })).toBe(1);
      expect(sample(text, 'otp_verifications_total', { channel: 'email', purpose: 'login', destination: 'email', outcome: 'success' })).toBe(1);
      expect(sample(text, 'registrations_total', { channel: 'phone' })).toBe(1);
      expect(sample(text, 'registrations_total', { channel: 'email' })).toBe(1);
      expect(sample(text, 'logins_total', { channel: 'email' })).toBe(1);
      expect(sample(text, 'refusals_total', { code: 'OTP_COOLDOWN', status_code: '429' })).toBe(1);
      expect(sample(text, 'refusals_total', { code: 'DELIVERY_FAILED', status_code: '503' })).toBe(1);
      expect(sample(text, 'refusals_total', { code: 'UNAUTHORIZED', status_code: '401' })).toBe(1);
      // The two SMS delivered (English templates) took one segment each.
      expect(sample(text, 'sms_sent_by_segments_total', { segments: '1' })).toBe(2);
      expect(text).toMatch(/^sms_segments_total 2$/m);
      expect(
        sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/auth/verify-registration-otp', status_code: '400' }),
      ).toBe(4);
      // Default process metrics are there too.
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      // Bounded: no number, no address, no URL of a route that does not exist.
      await service.get('/no/such/route/+919876543210');
      const after = String((await service.get('/metrics')).body);
      expect(after).not.toMatch(/\+91\d{6,}/);
      expect(after).not.toMatch(/@example\.com/);
      expect(sample(after, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    });
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own listener and not on the main port', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const service = await startService({ env: { METRICS_PORT: String(port) } });
    try {
      expectError(await service.get('/metrics'), 404, 'NOT_FOUND');
      await service.get('/health');
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} 1/);
    } finally {
      await service.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('METRICS_ENABLED=false serves no /metrics', async () => {
    const service = await startService({ env: { METRICS_ENABLED: 'false' } });
    try {
      expectError(await service.get('/metrics'), 404, 'NOT_FOUND');
    } finally {
      await service.close();
    }
  });
});
