// Cookie mode (X-Session-Mode: cookie): the refresh token travels in an httpOnly cookie instead of
// the body; refresh and logout read it from there; every cookie-mode request must come from the
// service's own origin or CORS_ORIGINS.
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { LOGOUT, ME, REFRESH, SESSIONS, V2, expectError, expectStatus, newPhone, smsCode, tally, type Phone } from '../support/flows.js';
import { serviceForBlock, type Answer, type Service } from '../support/service.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface SetCookie {
  name: string;
  value: string;
  /** Lower-cased attribute names with their values ('' for flags). */
  attributes: Record<string, string>;
}

function setCookies(answer: Answer): SetCookie[] {
  return answer.headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const attributes: Record<string, string> = {};
    for (const attribute of rest) {
      const [key = '', value = ''] = attribute.split('=');
      attributes[key.toLowerCase()] = value;
    }
    return { name: pair.slice(0, at), value: pair.slice(at + 1), attributes };
  });
}

function onlyCookie(answer: Answer): SetCookie {
  const cookies = setCookies(answer);
  expect(cookies, JSON.stringify(cookies)).toHaveLength(1);
  return cookies[0]!;
}

function cookieMode(service: Service, origin = service.url): Record<string, string> {
  return { 'x-session-mode': 'cookie', origin };
}

/** Registers a phone, verifying in cookie mode; returns the verify answer. */
async function registerInCookieMode(service: Service, headers: Record<string, string>, phone: Phone = newPhone()): Promise<Answer> {
  expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
  return service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) }, headers);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  async function signIn(): Promise<{ access: string; cookie: SetCookie }> {
    const answer = await registerInCookieMode(service, cookieMode(service));
    expectStatus(answer, 201);
    return { access: answer.body.data.access_token, cookie: onlyCookie(answer) };
  }

  function withCookie(cookie: SetCookie, extra: Record<string, string> = {}): Record<string, string> {
    return { ...cookieMode(service), cookie: `${cookie.name}=${cookie.value}`, ...extra };
  }

  describe('POST /api/v1/auth/verify-registration-otp with X-Session-Mode: cookie', () => {
    it('puts the refresh token in an httpOnly, SameSite=Strict cookie scoped to the auth routes, not in the body', async () => {
      const answer = await registerInCookieMode(service, cookieMode(service));
      expectStatus(answer, 201);
      expect(answer.body.data.refresh_token).toBeUndefined();
      expect(answer.body.data.access_token).toEqual(expect.any(String));
      const cookie = onlyCookie(answer);
      expect(cookie.name).toBe('refresh_token');
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      // Plain HTTP outside production: no Secure (a browser would drop it) and no __Host- prefix (it needs Secure).
      expect(cookie.attributes).toStrictEqual({ 'max-age': String(30 * 24 * 3600), path: '/api/v1/auth', httponly: '', samesite: 'Strict' });
    });

    it('answers the refresh token in the body as before without the header', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const answer = await service.post(V2.verifyRegistration, { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) });
      expectStatus(answer, 201);
      expect(answer.body.data.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      expect(answer.headers.getSetCookie()).toStrictEqual([]);
    });

    it('refuses a cross-origin request before the code is spent', async () => {
      const phone = newPhone();
      expectStatus(await service.post(V2.register, { type: 'phone', identifier: phone.e164 }), 200);
      const body = { type: 'phone', identifier: phone.e164, otp: smsCode(service, phone.e164) };
      const refused = await service.post(V2.verifyRegistration, body, cookieMode(service, 'https://evil.example'));
      expectError(refused, 403, 'ORIGIN_NOT_ALLOWED');
      expect(refused.headers.getSetCookie()).toStrictEqual([]);
      expectStatus(await service.post(V2.verifyRegistration, body, cookieMode(service)), 201);
    });

    it('refuses a cookie-mode request without an Origin header', async () => {
      expectError(await service.post(REFRESH, undefined, { 'x-session-mode': 'cookie' }), 403, 'ORIGIN_NOT_ALLOWED');
    });

    it('refuses any other X-Session-Mode value', async () => {
      expectError(await service.post(REFRESH, undefined, { 'x-session-mode': 'body', origin: service.url }), 422, 'VALIDATION_ERROR');
    });
  });

  describe('POST /api/v1/auth/refresh by cookie', () => {
    it('rotates the cookie and answers a new access token without a refresh token in the body', async () => {
      const { cookie } = await signIn();
      const answer = await service.post(REFRESH, undefined, withCookie(cookie));
      expectStatus(answer, 200);
      expect(answer.body.data.refresh_token).toBeUndefined();
      const next = onlyCookie(answer);
      expect(next.name).toBe(cookie.name);
      expect(next.value).not.toBe(cookie.value);
      expect(next.attributes).toMatchObject({ httponly: '', samesite: 'Strict', path: '/api/v1/auth' });
      expectStatus(await service.get(ME, bearer(answer.body.data.access_token)), 200);
    });

    it('ignores the cookie without the X-Session-Mode header (a cookie alone never authenticates)', async () => {
      const { cookie } = await signIn();
      const answer = await service.post(REFRESH, undefined, { cookie: `${cookie.name}=${cookie.value}`, origin: service.url });
      expectError(answer, 422, 'VALIDATION_ERROR');
      expectStatus(await service.post(REFRESH, undefined, withCookie(cookie)), 200);
    });

    it('refuses a cross-origin refresh and leaves the token unspent', async () => {
      const { cookie } = await signIn();
      expectError(await service.post(REFRESH, undefined, withCookie(cookie, { origin: 'https://evil.example' })), 403, 'ORIGIN_NOT_ALLOWED');
      expectError(await service.post(REFRESH, undefined, withCookie(cookie, { origin: 'null' })), 403, 'ORIGIN_NOT_ALLOWED');
      expectStatus(await service.post(REFRESH, undefined, withCookie(cookie)), 200);
    });

    it('answers 401 REFRESH_TOKEN_INVALID without a cookie', async () => {
      expectError(await service.post(REFRESH, undefined, cookieMode(service)), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('clears the cookie when a replayed token ends the session', async () => {
      const { cookie } = await signIn();
      expectStatus(await service.post(REFRESH, undefined, withCookie(cookie)), 200);
      service.clock.advance(60_000); // past the reuse grace
      const replayed = await service.post(REFRESH, undefined, withCookie(cookie));
      expectError(replayed, 401, 'REFRESH_TOKEN_REUSED');
      expect(onlyCookie(replayed)).toMatchObject({ name: cookie.name, value: '', attributes: { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' } });
    });

    it('gives parallel refreshes of one cookie the same successor within the grace, keeping one session', async () => {
      const { access, cookie } = await signIn();
      const answers = await Promise.all(Array.from({ length: 10 }, () => service.post(REFRESH, undefined, withCookie(cookie))));
      expect(tally(answers)).toStrictEqual({ '200 ok': 10 });
      expect(new Set(answers.map((answer) => onlyCookie(answer).value)).size).toBe(1);
      const listed = await service.get(SESSIONS, bearer(access));
      expect(listed.body.data.sessions).toHaveLength(1);
    });
  });

  describe('POST /api/v1/auth/logout by cookie', () => {
    it('ends the session and clears the cookie', async () => {
      const { access, cookie } = await signIn();
      const answer = await service.post(LOGOUT, undefined, withCookie(cookie, bearer(access)));
      expectStatus(answer, 200);
      expect(answer.body.data.sessions_ended).toBe(1);
      expect(onlyCookie(answer)).toMatchObject({ name: cookie.name, value: '', attributes: { path: '/api/v1/auth', httponly: '', samesite: 'Strict' } });
      expectError(await service.post(REFRESH, undefined, withCookie(cookie)), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('ends the session with the cookie alone (a reloaded page without an access token)', async () => {
      const { access, cookie } = await signIn();
      const answer = await service.post(LOGOUT, undefined, withCookie(cookie));
      expectStatus(answer, 200);
      expect(answer.body.data.sessions_ended).toBe(1);
      expectError(await service.get(ME, bearer(access)), 401, 'UNAUTHORIZED');
    });

    it('refuses a cross-origin logout', async () => {
      const { access, cookie } = await signIn();
      expectError(await service.post(LOGOUT, undefined, withCookie(cookie, { origin: 'https://evil.example' })), 403, 'ORIGIN_NOT_ALLOWED');
      expectStatus(await service.get(ME, bearer(access)), 200);
    });
  });
});

describe('cookie mode behind HTTPS (PUBLIC_ORIGIN) with CORS_ORIGINS', () => {
  const service = serviceForBlock({ env: { PUBLIC_ORIGIN: 'https://auth.example.test', CORS_ORIGINS: 'https://shop.example.test' } });

  it('names the cookie __Host-refresh_token, Secure, with Path=/ as the prefix requires', async () => {
    const answer = await registerInCookieMode(service, cookieMode(service, 'https://auth.example.test'));
    expectStatus(answer, 201);
    const cookie = onlyCookie(answer);
    expect(cookie.name).toBe('__Host-refresh_token');
    expect(cookie.attributes).toStrictEqual({ 'max-age': String(30 * 24 * 3600), path: '/', httponly: '', secure: '', samesite: 'Strict' });
  });

  it('accepts an origin listed in CORS_ORIGINS and refuses the request Host when PUBLIC_ORIGIN says otherwise', async () => {
    expectStatus(await registerInCookieMode(service, cookieMode(service, 'https://shop.example.test')), 201);
    expectError(await registerInCookieMode(service, cookieMode(service, service.url)), 403, 'ORIGIN_NOT_ALLOWED');
  });
});
