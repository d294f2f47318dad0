// Sessions: logout (one, with a refresh token, or all), the list of a customer's sessions, ending
// one by id, and the periodic sweep of ended ones. A revoked session's access tokens stop at once.
import { decodeJwt } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  COOLDOWN_MS,
  LOGOUT,
  ME,
  REFRESH,
  SESSIONS,
  expectError,
  expectStatus,
  loginPhone,
  registerPhone,
  sql,
  type Phone,
  type SignedIn,
} from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sidOf = (signedIn: SignedIn) => decodeJwt(signedIn.token).sid as string;

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  /** One more sign-in of the same customer: a second session. */
  async function signInAgain(phone: Phone): Promise<SignedIn> {
    service.clock.advance(COOLDOWN_MS);
    return loginPhone(service, phone);
  }

  const me = (signedIn: SignedIn) => service.get(ME, bearer(signedIn.token));
  const refresh = (signedIn: SignedIn) => service.post(REFRESH, { refresh_token: signedIn.refreshToken });

  async function expectEnded(signedIn: SignedIn): Promise<void> {
    expectError(await me(signedIn), 401, 'UNAUTHORIZED');
    expectError(await refresh(signedIn), 401, 'REFRESH_TOKEN_INVALID');
  }

  async function expectLive(signedIn: SignedIn): Promise<void> {
    expectStatus(await me(signedIn), 200);
  }

  describe('POST /api/v1/auth/logout', () => {
    it('ends the current session: its access token is refused by /me at once, and its refresh token too', async () => {
      const signedIn = await registerPhone(service);
      const answer = await service.post(LOGOUT, undefined, bearer(signedIn.token));
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({ success: true, message: 'Logged out', data: { sessions_ended: 1 } });
      await expectEnded(signedIn);
    });

    it("leaves the customer's other sessions working", async () => {
      const first = await registerPhone(service);
      const second = await signInAgain(first.phone);
      expectStatus(await service.post(LOGOUT, {}, bearer(first.token)), 200);
      await expectEnded(first);
      await expectLive(second);
      expectStatus(await refresh(second), 200);
    });

    it('ends every session of the customer with {"all": true}, and no one else\'s', async () => {
      const first = await registerPhone(service);
      const second = await signInAgain(first.phone);
      const third = await signInAgain(first.phone);
      const stranger = await registerPhone(service);
      const answer = await service.post(LOGOUT, { all: true }, bearer(second.token));
      expectStatus(answer, 200);
      expect(answer.body.data).toStrictEqual({ sessions_ended: 3 });
      for (const signedIn of [first, second, third]) await expectEnded(signedIn);
      await expectLive(stranger);
    });

    it('also ends the session of the refresh token given, when it is the caller\'s', async () => {
      const first = await registerPhone(service);
      const second = await signInAgain(first.phone);
      const answer = await service.post(LOGOUT, { refresh_token: second.refreshToken }, bearer(first.token));
      expectStatus(answer, 200);
      expect(answer.body.data).toStrictEqual({ sessions_ended: 2 });
      await expectEnded(first);
      await expectEnded(second);
    });

    it("ends nothing of another customer's when given their refresh token", async () => {
      const caller = await registerPhone(service);
      const victim = await registerPhone(service);
      const answer = await service.post(LOGOUT, { refresh_token: victim.refreshToken }, bearer(caller.token));
      expectStatus(answer, 200);
      expect(answer.body.data).toStrictEqual({ sessions_ended: 1 });
      await expectEnded(caller);
      await expectLive(victim);
      expectStatus(await refresh(victim), 200);
    });

    it('answers 401 UNAUTHORIZED without a bearer token, and for the token of a session already ended', async () => {
      const signedIn = await registerPhone(service);
      expectError(await service.post(LOGOUT, {}), 401, 'UNAUTHORIZED');
      expectError(await service.post(LOGOUT, {}, { authorization: 'Bearer not-a-token' }), 401, 'UNAUTHORIZED');
      expectStatus(await service.post(LOGOUT, {}, bearer(signedIn.token)), 200);
      expectError(await service.post(LOGOUT, {}, bearer(signedIn.token)), 401, 'UNAUTHORIZED');
    });

    it.each([
      { description: 'all as a string', body: { all: 'true' } },
      { description: 'refresh_token as a number', body: { refresh_token: 7 } },
    ])('answers 422 VALIDATION_ERROR for $description, and ends nothing', async ({ body }) => {
      const signedIn = await registerPhone(service);
      expectError(await service.post(LOGOUT, body, bearer(signedIn.token)), 422, 'VALIDATION_ERROR');
      await expectLive(signedIn);
    });
  });

  describe('GET /api/v1/auth/sessions', () => {
    it("lists the caller's live sessions, the current one marked, with user agent and client address", async () => {
      const phoneAccount = await registerPhone(service);
      service.clock.advance(COOLDOWN_MS);
      expectStatus(await service.post('/api/v1/auth/login', { type: 'phone', identifier: phoneAccount.phone.e164 }), 200);
      const code = service.twilio.latestCode(phoneAccount.phone.e164)!;
      const verified = await service.post(
        '/api/v1/auth/verify-login-otp',
        { type: 'phone', identifier: phoneAccount.phone.e164, otp: code },
        { 'user-agent': 'ShopApp/2.1 (Android 14)' },
      );
      expectStatus(verified, 200);
      const phoneSession: SignedIn = { token: verified.body.data.access_token, refreshToken: verified.body.data.refresh_token, customer: phoneAccount.customer };
      const ended = await signInAgain(phoneAccount.phone);
      expectStatus(await service.post(LOGOUT, {}, bearer(ended.token)), 200);
      await registerPhone(service); // someone else's session is never listed

      const answer = await service.get(SESSIONS, bearer(phoneSession.token));
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'Active sessions',
        data: {
          sessions: [
            {
              id: sidOf(phoneSession),
              current: true,
              created_at: new Date(service.clock.now() - COOLDOWN_MS).toISOString(),
              last_used_at: new Date(service.clock.now() - COOLDOWN_MS).toISOString(),
              expires_at: new Date(service.clock.now() - COOLDOWN_MS + 30 * DAY_MS).toISOString(),
              user_agent: 'ShopApp/2.1 (Android 14)',
              client_ip: '127.0.0.1',
            },
            expect.objectContaining({ id: sidOf(phoneAccount), current: false, client_ip: '127.0.0.1' }),
          ],
        },
      });
    });

    it('shows a refresh as the latest use and moves the expiry on', async () => {
      const signedIn = await registerPhone(service);
      service.clock.advance(DAY_MS);
      const refreshed = await refresh(signedIn);
      expectStatus(refreshed, 200);
      const answer = await service.get(SESSIONS, bearer(refreshed.body.data.access_token));
      expect(answer.body.data.sessions).toStrictEqual([
        expect.objectContaining({
          id: sidOf(signedIn),
          current: true,
          created_at: new Date(service.clock.now() - DAY_MS).toISOString(),
          last_used_at: new Date(service.clock.now()).toISOString(),
          expires_at: new Date(service.clock.now() + 30 * DAY_MS).toISOString(),
        }),
      ]);
    });

    it('answers 401 UNAUTHORIZED without a good bearer token', async () => {
      expectError(await service.get(SESSIONS), 401, 'UNAUTHORIZED');
      expectError(await service.get(SESSIONS, bearer('a.b.c')), 401, 'UNAUTHORIZED');
    });
  });

  describe('DELETE /api/v1/auth/sessions/:id', () => {
    it('ends one of the caller\'s sessions: it leaves the list and its tokens stop working', async () => {
      const current = await registerPhone(service);
      const other = await signInAgain(current.phone);
      const answer = await service.request('DELETE', `${SESSIONS}/${sidOf(other)}`, undefined, bearer(current.token));
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({ success: true, message: 'Session ended', data: { id: sidOf(other) } });
      await expectEnded(other);
      await expectLive(current);
      const listed = await service.get(SESSIONS, bearer(current.token));
      expect(listed.body.data.sessions.map((session: { id: string }) => session.id)).toStrictEqual([sidOf(current)]);
      expectError(await service.request('DELETE', `${SESSIONS}/${sidOf(other)}`, undefined, bearer(current.token)), 404, 'SESSION_NOT_FOUND');
    });

    it("answers 404 SESSION_NOT_FOUND for another customer's session id, which goes on working", async () => {
      const caller = await registerPhone(service);
      const victim = await registerPhone(service);
      expectError(await service.request('DELETE', `${SESSIONS}/${sidOf(victim)}`, undefined, bearer(caller.token)), 404, 'SESSION_NOT_FOUND');
      await expectLive(victim);
      expectStatus(await refresh(victim), 200);
    });

    it('answers 404 SESSION_NOT_FOUND for an id of no session, and 422 VALIDATION_ERROR for one that cannot be an id', async () => {
      const caller = await registerPhone(service);
      expectError(await service.request('DELETE', `${SESSIONS}/AAAAAAAAAAAAAAAAAAAAAA`, undefined, bearer(caller.token)), 404, 'SESSION_NOT_FOUND');
      expectError(await service.request('DELETE', `${SESSIONS}/${encodeURIComponent("x' or 1=1")}`, undefined, bearer(caller.token)), 422, 'VALIDATION_ERROR');
    });

    it('ends a session once when 10 requests end it in parallel: one 200, nine 404s, never a 5xx', async () => {
      const caller = await registerPhone(service);
      const other = await signInAgain(caller.phone);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => service.request('DELETE', `${SESSIONS}/${sidOf(other)}`, undefined, bearer(caller.token))),
      );
      expect(answers.map((answer) => answer.status).sort()).toStrictEqual([200, ...Array(9).fill(404)]);
      await expectEnded(other);
    });
  });
});

describe.each(backendsUnderTest())('%s, swept every second', (backend) => {
  const service = serviceForBlock({ backend, env: { CLEANUP_INTERVAL_SECONDS: '1' } });

  async function sessionIds(customerId: number): Promise<string[]> {
    return (await sql(service, 'select id from sessions where customer_id = ? order by id', [customerId])).map((row) => row.id as string);
  }

  describe('the cleanup', () => {
    it('deletes sessions a day after they expired or were revoked, with their refresh tokens, and keeps live ones', async () => {
      const expired = await registerPhone(service);
      const revoked = await registerPhone(service);
      expectStatus(await service.post(LOGOUT, {}, bearer(revoked.token)), 200);
      service.clock.advance(31 * DAY_MS + 1000);
      const live = await registerPhone(service);
      const recentlyRevoked = await registerPhone(service);
      expectStatus(await service.post(LOGOUT, {}, bearer(recentlyRevoked.token)), 200);

      // The sweep runs on a real one-second timer: wait for it, do not sleep a fixed time.
      await vi.waitFor(async () => expect(await sessionIds(expired.customer.id)).toStrictEqual([]), { timeout: 5000, interval: 100 });
      await vi.waitFor(async () => expect(await sessionIds(revoked.customer.id)).toStrictEqual([]), { timeout: 5000, interval: 100 });
      expect(await sessionIds(live.customer.id)).toStrictEqual([sidOf(live)]);
      expect(await sessionIds(recentlyRevoked.customer.id)).toStrictEqual([sidOf(recentlyRevoked)]);
      const tokens = await sql(service, 'select session_id from refresh_tokens where session_id in (?, ?)', [sidOf(expired), sidOf(revoked)]);
      expect(tokens).toStrictEqual([]);
      expectStatus(await service.get(ME, bearer(live.token)), 200);
    });
  });
});
