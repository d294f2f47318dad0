// CAPTCHA_PROVIDER: the routes that send a code require a solved captcha, checked with the vendor
// (played by a local siteverify server) before anything is counted or sent; failing closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAL27, V2, expectError, expectStatus, newEmail, newPhone, smsCode, smsCount } from '../support/flows.js';
import { SOLVED_TOKEN, startFakeCaptcha } from '../support/fake-captcha.js';
import { startService, type Service } from '../support/service.js';

const SECRET = '0x4AAAAAAA-test-secret';

/** A service with the captcha on, talking to its own fake vendor. */
function captchaService(env: Record<string, string> = {}) {
  const state: { service?: Service; vendor?: Awaited<ReturnType<typeof startFakeCaptcha>> } = {};
  beforeAll(async () => {
    state.vendor = await startFakeCaptcha({ secret: SECRET });
    state.service = await startService({
      env: { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: SECRET, CAPTCHA_VERIFY_URL: state.vendor.url, CAPTCHA_TIMEOUT_MS: '300', ...env },
    });
  });
  afterAll(async () => {
    await state.service?.close();
    await state.vendor?.close();
  });
  return {
    service: () => state.service!,
    vendor: () => state.vendor!,
  };
}

describe('captcha on the routes that send a code (CAPTCHA_PROVIDER=turnstile)', () => {
  const { service, vendor } = captchaService();

  it.each([
    { description: 'register', path: V2.register, body: (e164: string) => ({ type: 'phone', identifier: e164 }) },
    { description: 'resend-registration-otp', path: V2.resendRegistration, body: (e164: string) => ({ type: 'phone', identifier: e164 }) },
    { description: 'SAL-27 register/request-otp', path: SAL27.registerRequest, body: (e164: string) => ({ phone: e164 }) },
  ])('sends the code on $description when the vendor accepts the token', async ({ path, body }) => {
    const phone = newPhone();
    expectStatus(await service().post(path, { ...body(phone.e164), captcha_token: SOLVED_TOKEN }), 200);
    expect(smsCount(service(), phone.e164)).toBe(1);
  });

  it('asks the vendor with the form fields secret, response and remoteip (the client address)', async () => {
    const phone = newPhone();
    vendor().calls.length = 0;
    expectStatus(await service().post(V2.register, { type: 'phone', identifier: phone.e164, captcha_token: SOLVED_TOKEN }), 200);
    expect(vendor().calls).toEqual([
      { contentType: 'application/x-www-form-urlencoded', secret: SECRET, response: SOLVED_TOKEN, remoteip: '127.0.0.1' },
    ]);
  });

  it.each([
    { description: 'login', path: V2.login, body: { type: 'email', identifier: 'nobody@example.com' } },
    { description: 'resend-login-otp', path: V2.resendLogin, body: { type: 'email', identifier: 'nobody@example.com' } },
    { description: 'SAL-27 login/request-otp', path: SAL27.loginRequest, body: { phone: '+919876543210' } },
    { description: 'register', path: V2.register, body: { type: 'phone', identifier: '+919876543210' } },
  ])('answers 400 CAPTCHA_REQUIRED on $description without captcha_token, before asking the vendor', async ({ path, body }) => {
    vendor().calls.length = 0;
    expectError(await service().post(path, body), 400, 'CAPTCHA_REQUIRED');
    expect(vendor().calls).toHaveLength(0);
  });

  it('answers 403 CAPTCHA_FAILED for a token the vendor refuses, sends nothing and counts nothing (no cooldown taken)', async () => {
    const phone = newPhone();
    const body = { type: 'phone', identifier: phone.e164 };
    expectError(await service().post(V2.register, { ...body, captcha_token: 'forged' }), 403, 'CAPTCHA_FAILED');
    expectError(await service().post(V2.register, { ...body, captcha_token: 'forged-again' }), 403, 'CAPTCHA_FAILED');
    expect(smsCount(service(), phone.e164)).toBe(0);
    // Had either refused request taken the cooldown, this would be 429 OTP_COOLDOWN.
    expectStatus(await service().post(V2.register, { ...body, captcha_token: SOLVED_TOKEN }), 200);
    expect(smsCount(service(), phone.e164)).toBe(1);
  });

  it('does not ask for a captcha on verify', async () => {
    const phone = newPhone();
    expectStatus(await service().post(V2.register, { type: 'phone', identifier: phone.e164, captcha_token: SOLVED_TOKEN }), 200);
    const verified = await service().post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service(), phone.e164) });
    expectStatus(verified, 201);
  });

  it.each([
    { description: 'answers HTTP 500', mode: 'server-error' as const },
    { description: 'never answers (timeout)', mode: 'hang' as const },
    { description: 'answers something that is not JSON', mode: 'garbage' as const },
    { description: 'says our secret is wrong', mode: 'wrong-secret' as const },
  ])('fails closed with 503 CAPTCHA_UNAVAILABLE when the vendor $description, and sends nothing', async ({ mode }) => {
    const phone = newPhone();
    vendor().setMode(mode);
    try {
      const before = service().logs().length;
      const answer = await service().post(V2.register, { type: 'phone', identifier: phone.e164, captcha_token: SOLVED_TOKEN });
      expectError(answer, 503, 'CAPTCHA_UNAVAILABLE');
      expect(smsCount(service(), phone.e164)).toBe(0);
      const logged = service().logs().slice(before);
      expect(logged).toMatch(/"level":50[^\n]*captcha/);
      expect(logged).not.toContain(SECRET);
    } finally {
      vendor().setMode('ok');
    }
    expectStatus(await service().post(V2.register, { type: 'phone', identifier: phone.e164, captcha_token: SOLVED_TOKEN }), 200);
  });

  it('still sends email codes with a solved captcha', async () => {
    const email = newEmail('captcha');
    expectStatus(await service().post(V2.register, { type: 'email', identifier: email, captcha_token: SOLVED_TOKEN }), 200);
  });
});

describe('captcha before the per-address limit (CAPTCHA_PROVIDER=hcaptcha, IP_SEND_LIMIT=2/1h)', () => {
  const { service } = captchaService({ CAPTCHA_PROVIDER: 'hcaptcha', IP_SEND_LIMIT: '2/1h' });

  it('does not count refused captchas against the client address', async () => {
    for (let i = 0; i < 5; i += 1) {
      expectError(await service().post(V2.register, { type: 'phone', identifier: newPhone().e164, captcha_token: `bad-${i}` }), 403, 'CAPTCHA_FAILED');
    }
    expectStatus(await service().post(V2.register, { type: 'phone', identifier: newPhone().e164, captcha_token: SOLVED_TOKEN }), 200);
    expectStatus(await service().post(V2.register, { type: 'phone', identifier: newPhone().e164, captcha_token: SOLVED_TOKEN }), 200);
    // The limit itself still holds: the third solved request from this address is refused.
    expectError(await service().post(V2.register, { type: 'phone', identifier: newPhone().e164, captcha_token: SOLVED_TOKEN }), 429, 'RATE_LIMITED');
  });
});
