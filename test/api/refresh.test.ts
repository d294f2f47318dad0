// Refresh tokens: every verify gives one, a refresh spends it for a successor, a replay ends the
// whole session (with a short grace for a client that retried a refresh whose answer it lost).
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import {
  LOGOUT,
  ME,
  REFRESH,
  REFRESH_FIELDS,
  expectError,
  expectStatus,
  registerEmail,
  registerPhone,
  setCustomerStatus,
  sql,
} from '../support/flows.js';
import { serviceForBlock, type Answer, type Service } from '../support/service.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DAY_MS = 24 * 60 * 60 * 1000;

function refresh(service: Service, refreshToken: string): Promise<Answer> {
  return service.post(REFRESH, { refresh_token: refreshToken });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sidOf = (accessToken: string) => decodeJwt(accessToken).sid as string;

async function liveTokensOfSession(service: Service, sessionId: string): Promise<number> {
  const rows = await sql(service, 'select count(*) as n from refresh_tokens where session_id = ? and spent_at is null', [sessionId]);
  return Number(rows[0]?.n);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('POST /api/v1/auth/refresh', () => {
    it('answers a new access token and a new refresh token in the shape of a verify, for the same session', async () => {
      const signedIn = await registerPhone(service);
      const answer = await refresh(service, signedIn.refreshToken);
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({
        success: true,
        message: 'Token refreshed',
        data: { customer: signedIn.customer, access_token: expect.stringMatching(JWT), token_type: 'bearer', expires_in: 3600, ...REFRESH_FIELDS },
      });
      expect(answer.body.data.refresh_token).not.toBe(signedIn.refreshToken);
      expect(answer.body.data.access_token).not.toBe(signedIn.token);
      expect(sidOf(answer.body.data.access_token)).toBe(sidOf(signedIn.token));
      expectStatus(await service.get(ME, bearer(answer.body.data.access_token)), 200);
    });

    it('rotates on every use: each successor refreshes once, and each is different', async () => {
      let current = (await registerEmail(service)).refreshToken;
      const seen = new Set([current]);
      for (let round = 0; round < 4; round++) {
        service.clock.advance(3600 * 1000);
        const answer = await refresh(service, current);
        expectStatus(answer, 200);
        current = answer.body.data.refresh_token;
        seen.add(current);
      }
      expect(seen.size).toBe(5);
    });

    it('stores a refresh token only as its SHA-256', async () => {
      const { refreshToken, token } = await registerPhone(service);
      const rows = await sql(service, 'select token_hash from refresh_tokens where session_id = ?', [sidOf(token)]);
      expect(rows).toStrictEqual([{ token_hash: createHash('sha256').update(refreshToken).digest('base64url') }]);
      const everything = JSON.stringify(await sql(service, 'select * from refresh_tokens')) + JSON.stringify(await sql(service, 'select * from sessions'));
      expect(everything).not.toContain(refreshToken);
    });

    it('accepts a refresh token until its 30 days are up, and answers 401 REFRESH_TOKEN_INVALID after', async () => {
      const first = await registerPhone(service);
      const second = await registerPhone(service);
      service.clock.advance(30 * DAY_MS - 1000);
      expectStatus(await refresh(service, first.refreshToken), 200);
      service.clock.advance(2000);
      expectError(await refresh(service, second.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('gives the successor a fresh 30 days: a session in use lives on', async () => {
      let current = (await registerPhone(service)).refreshToken;
      for (let round = 0; round < 3; round++) {
        service.clock.advance(20 * DAY_MS);
        const answer = await refresh(service, current);
        expectStatus(answer, 200);
        current = answer.body.data.refresh_token;
      }
    });

    it.each([
      { description: 'a token nobody issued', token: () => randomBytes(32).toString('base64url') },
      { description: 'a short string', token: () => 'x' },
      { description: 'an access token', token: () => 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' },
    ])('answers 401 REFRESH_TOKEN_INVALID for $description', async ({ token }) => {
      expectError(await refresh(service, token()), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('answers 401 REFRESH_TOKEN_INVALID for the refresh token of a session that was logged out', async () => {
      const { token, refreshToken } = await registerPhone(service);
      expectStatus(await service.post(LOGOUT, {}, bearer(token)), 200);
      expectError(await refresh(service, refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    });

    it.each([{ status: 'blocked' as const }, { status: 'inactive' as const }])(
      'answers 403 ACCOUNT_INACTIVE to a customer $status since, without spending the token, which works again once active',
      async ({ status }) => {
        const { customer, refreshToken } = await registerPhone(service);
        await setCustomerStatus(service, customer.id, status);
        expectError(await refresh(service, refreshToken), 403, 'ACCOUNT_INACTIVE');
        await setCustomerStatus(service, customer.id, 'active');
        expectStatus(await refresh(service, refreshToken), 200);
      },
    );

    it.each([
      { description: 'no refresh_token', body: {}, status: 422, code: 'VALIDATION_ERROR' },
      { description: 'a number as refresh_token', body: { refresh_token: 12345 }, status: 422, code: 'VALIDATION_ERROR' },
      { description: 'an empty refresh_token', body: { refresh_token: '' }, status: 422, code: 'VALIDATION_ERROR' },
      { description: 'a body that is not JSON', body: '{"refresh_token":', status: 400, code: 'MALFORMED_REQUEST' },
    ])('answers $status $code for $description', async ({ body, status, code }) => {
      expectError(await service.post(REFRESH, body), status, code);
    });
  });

  describe('POST /api/v1/auth/refresh with a token from before tokens named their session (migration 007)', () => {
    /** What an upgraded database holds for a token issued before: its hash in legacy_refresh_tokens, keyed by hash alone. */
    async function legacyTokenOf(accessToken: string): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      const hash = createHash('sha256').update(token).digest('base64url');
      const now = service.clock.now();
      await sql(service, 'insert into legacy_refresh_tokens (token_hash, session_id, created_at, expires_at, spent_at) values (?, ?, ?, ?, null)', [
        hash,
        sidOf(accessToken),
        now,
        now + 30 * DAY_MS,
      ]);
      return token;
    }

    it('refreshes it once into a new-style token of the same session, which rotates on; a retry in the grace window gets the same successor', async () => {
      const signedIn = await registerPhone(service);
      const legacy = await legacyTokenOf(signedIn.token);
      const first = await refresh(service, legacy);
      expectStatus(first, 200);
      expect(first.body.data).toMatchObject(REFRESH_FIELDS);
      expect(first.body.data.refresh_token.startsWith(`${sidOf(signedIn.token)}.`)).toBe(true);
      expect(sidOf(first.body.data.access_token)).toBe(sidOf(signedIn.token));
      const retry = await refresh(service, legacy);
      expectStatus(retry, 200);
      expect(retry.body.data.refresh_token).toBe(first.body.data.refresh_token);
      expectStatus(await refresh(service, first.body.data.refresh_token), 200);
    });

    it('answers 401 REFRESH_TOKEN_REUSED to it once spent and past the grace window, and ends the session', async () => {
      const signedIn = await registerPhone(service);
      const legacy = await legacyTokenOf(signedIn.token);
      const first = await refresh(service, legacy);
      expectStatus(first, 200);
      service.clock.advance(60_000);
      expectError(await refresh(service, legacy), 401, 'REFRESH_TOKEN_REUSED');
      expectError(await refresh(service, first.body.data.refresh_token), 401, 'REFRESH_TOKEN_INVALID');
      expectError(await refresh(service, signedIn.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('answers 401 REFRESH_TOKEN_INVALID to a new-style token naming another session, and to a new-style token stripped of its session', async () => {
      const mine = await registerPhone(service);
      const other = await registerPhone(service);
      const secret = mine.refreshToken.slice(mine.refreshToken.indexOf('.') + 1);
      expectError(await refresh(service, `${sidOf(other.token)}.${secret}`), 401, 'REFRESH_TOKEN_INVALID');
      expectError(await refresh(service, secret), 401, 'REFRESH_TOKEN_INVALID');
      expectStatus(await refresh(service, mine.refreshToken), 200);
    });
  });

  describe('POST /api/v1/auth/refresh with a spent token (reuse)', () => {
    it('gives the same successor back to a retry inside the 10 s grace window, and the session goes on', async () => {
      const { refreshToken } = await registerPhone(service);
      const first = await refresh(service, refreshToken);
      expectStatus(first, 200);
      service.clock.advance(9000);
      const retry = await refresh(service, refreshToken);
      expectStatus(retry, 200);
      expect(retry.body.data.refresh_token).toBe(first.body.data.refresh_token);
      expectStatus(await service.get(ME, bearer(retry.body.data.access_token)), 200);
      expectStatus(await refresh(service, retry.body.data.refresh_token), 200);
    });

    it('answers 401 REFRESH_TOKEN_REUSED after the grace window and ends the whole session', async () => {
      const { refreshToken, token } = await registerPhone(service);
      const first = await refresh(service, refreshToken);
      expectStatus(first, 200);
      service.clock.advance(10_000);
      expectError(await refresh(service, refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      // Every member of the family is dead: the successor, and the access tokens of the session.
      expectError(await refresh(service, first.body.data.refresh_token), 401, 'REFRESH_TOKEN_INVALID');
      expectError(await service.get(ME, bearer(first.body.data.access_token)), 401, 'UNAUTHORIZED');
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it('treats a retry inside the grace window as reuse once its successor was used', async () => {
      const { refreshToken } = await registerPhone(service);
      const first = await refresh(service, refreshToken);
      const second = await refresh(service, first.body.data.refresh_token);
      expectStatus(second, 200);
      expectError(await refresh(service, refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      expectError(await refresh(service, second.body.data.refresh_token), 401, 'REFRESH_TOKEN_INVALID');
    });

    it("ends only the replayed session: the customer's other sessions go on", async () => {
      const phoneAccount = await registerPhone(service);
      const other = await registerPhone(service);
      expectStatus(await refresh(service, phoneAccount.refreshToken), 200);
      service.clock.advance(60_000);
      expectError(await refresh(service, phoneAccount.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      expectStatus(await refresh(service, other.refreshToken), 200);
    });

    it('logs a warn-level event naming the customer and session, never the token', async () => {
      const { refreshToken, token, customer } = await registerPhone(service);
      expectStatus(await refresh(service, refreshToken), 200);
      service.clock.advance(60_000);
      expectError(await refresh(service, refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      const events = service
        .logs()
        .split('\n')
        .filter((line) => line.includes('"refresh_token_reused"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events).toContainEqual(expect.objectContaining({ level: 40, customerId: customer.id, sessionId: sidOf(token) }));
      expect(service.logs()).not.toContain(refreshToken);
    });

    it('answers 20 parallel refreshes of one token with one successor: all 200, never a 5xx, one live token left', async () => {
      const { refreshToken, token } = await registerPhone(service);
      const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(service, refreshToken)));
      expect(answers.map((answer) => answer.status)).toStrictEqual(Array(20).fill(200));
      const successors = new Set(answers.map((answer) => answer.body.data.refresh_token as string));
      expect(successors.size).toBe(1);
      expect(await liveTokensOfSession(service, sidOf(token))).toBe(1);
      const [successor] = [...successors] as [string];
      expectStatus(await refresh(service, successor), 200);
    });
  });

  describe('the log', () => {
    it('holds no refresh token after sign-ins, refreshes, retries, a replay, logouts and bad tokens', async () => {
      const secrets: string[] = [];
      const phone = await registerPhone(service);
      const email = await registerEmail(service);
      secrets.push(phone.refreshToken, email.refreshToken);
      const refreshed = await refresh(service, phone.refreshToken);
      expectStatus(refreshed, 200);
      secrets.push(refreshed.body.data.refresh_token);
      expectStatus(await refresh(service, phone.refreshToken), 200);
      service.clock.advance(60_000);
      expectError(await refresh(service, phone.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      const unknown = randomBytes(32).toString('base64url');
      secrets.push(unknown);
      expectError(await refresh(service, unknown), 401, 'REFRESH_TOKEN_INVALID');
      expectStatus(await service.post(LOGOUT, { refresh_token: email.refreshToken }, bearer(email.token)), 200);
      expectError(await service.post(REFRESH, { refresh_token: 42 }), 422, 'VALIDATION_ERROR');

      const logs = service.logs();
      // The capture works: the requests and the replay left lines.
      expect(logs).toContain('request completed');
      expect(logs).toContain('refresh_token_reused');
      for (const secret of secrets) expect(logs, 'a refresh token is in the log').not.toContain(secret);
    });
  });
});

describe.each(backendsUnderTest())('%s, REFRESH_REUSE_GRACE_SECONDS=0', (backend) => {
  const service = serviceForBlock({ backend, env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });

  describe('POST /api/v1/auth/refresh with a spent token (reuse)', () => {
    it('answers 401 REFRESH_TOKEN_REUSED to a spent token presented again at once, and ends the session', async () => {
      const { refreshToken } = await registerPhone(service);
      const first = await refresh(service, refreshToken);
      expectStatus(first, 200);
      expectError(await refresh(service, refreshToken), 401, 'REFRESH_TOKEN_REUSED');
      expectError(await refresh(service, first.body.data.refresh_token), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('answers 20 parallel refreshes of one token with exactly one success and 401s for the rest, never a 5xx', async () => {
      const { refreshToken, token } = await registerPhone(service);
      const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(service, refreshToken)));
      const ok = answers.filter((answer) => answer.status === 200);
      expect(ok).toHaveLength(1);
      for (const answer of answers.filter((a) => a.status !== 200)) {
        expect(answer.status, JSON.stringify(answer.body)).toBe(401);
        expect(['REFRESH_TOKEN_REUSED', 'REFRESH_TOKEN_INVALID']).toContain(answer.body.code);
      }
      expect(answers.some((answer) => answer.body.code === 'REFRESH_TOKEN_REUSED')).toBe(true);
      // Without a grace window the parallel copies are replays: the session is over for everyone.
      expectError(await refresh(service, ok[0]!.body.data.refresh_token), 401, 'REFRESH_TOKEN_INVALID');
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });
  });
});
