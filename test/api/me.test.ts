// GET /api/v1/auth/me: the customer behind a bearer token; every token we did not issue, or that
// expired, or whose customer is gone, is a 401 in the envelope.
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { ME, expectError, expectStatus, registerEmail, registerPhone, setCustomerStatus, sql } from '../support/flows.js';
import { TEST_JWT_SECRET, serviceForBlock } from '../support/service.js';

const base64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A different character at one position of the signature (not the last, whose low bits may be padding). */
function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const position = 10;
  const replacement = signature[position] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, position)}${replacement}${signature.slice(position + 1)}`;
}

async function signWith(
  secret: string,
  claims: { sub?: string; iss?: string; iatSeconds: number; expSeconds?: number; jti?: string; sid?: string; kid?: string },
  alg = 'HS256',
): Promise<string> {
  const header = claims.kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: claims.kid };
  let jwt = new SignJWT(claims.sid === undefined ? {} : { sid: claims.sid }).setProtectedHeader(header).setIssuedAt(claims.iatSeconds);
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
  if (claims.expSeconds !== undefined) jwt = jwt.setExpirationTime(claims.expSeconds);
  if (claims.jti !== undefined) jwt = jwt.setJti(claims.jti);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  const nowSeconds = () => Math.floor(service.clock.now() / 1000);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Claims (and kid) exactly like the service's own for this sign-in, its session included: only the one changed thing differs. */
  const goodClaims = ({ token, customer }: { token: string; customer: { id: number } }) => ({
    sub: String(customer.id),
    iss: 'customer-auth',
    iatSeconds: nowSeconds(),
    expSeconds: nowSeconds() + 3600,
    jti: 'a-jti',
    sid: decodeJwt(token).sid as string,
    kid: decodeProtectedHeader(token).kid,
  });

  describe('GET /api/v1/auth/me', () => {
    it('answers the customer for a good token', async () => {
      const { token, customer } = await registerPhone(service);
      const answer = await service.get(ME, bearer(token));
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({ success: true, message: expect.any(String), data: { customer } });
    });

    it('answers the email customer for a token from an email registration', async () => {
      const { token, customer } = await registerEmail(service);
      const answer = await service.get(ME, bearer(token));
      expectStatus(answer, 200);
      expect(answer.body.data.customer).toStrictEqual(customer);
    });

    it('accepts the scheme in any case ("bearer")', async () => {
      const { token, customer } = await registerPhone(service);
      const answer = await service.get(ME, { authorization: `bearer ${token}` });
      expectStatus(answer, 200);
      expect(answer.body.data.customer.id).toBe(customer.id);
    });

    it('issues an HS256 token with a kid, and sub, sid, iss, iat, exp (one hour) and jti', async () => {
      const { token, customer } = await registerPhone(service);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: expect.stringMatching(/^hs-[A-Za-z0-9_-]{16}$/) });
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ sub: String(customer.id), iss: 'customer-auth', iat: nowSeconds(), exp: nowSeconds() + 3600 });
      expect(claims.jti).toEqual(expect.any(String));
      expect(claims.sid).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{22}$/));
    });

    it('accepts a token until its hour is up and answers 401 UNAUTHORIZED after', async () => {
      const { token } = await registerPhone(service);
      service.clock.advance(3599 * 1000);
      expectStatus(await service.get(ME, bearer(token)), 200);
      service.clock.advance(2 * 1000);
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a token used 3601 s after it was issued', async () => {
      const { token } = await registerPhone(service);
      service.clock.advance(3601 * 1000);
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it.each<{ description: string; headers: Record<string, string> }>([
      { description: 'no Authorization header', headers: {} },
      { description: 'an empty Authorization header', headers: { authorization: '' } },
      { description: '"Bearer" with no token', headers: { authorization: 'Bearer' } },
      { description: '"Bearer " with a blank token', headers: { authorization: 'Bearer    ' } },
      { description: '"Bearer" with garbage', headers: { authorization: 'Bearer garbage' } },
      { description: '"Bearer" with three dotted garbage parts', headers: { authorization: 'Bearer aaa.bbb.ccc' } },
      { description: '"Bearer" with characters outside base64url', headers: { authorization: 'Bearer {"alg":"none"}' } },
      { description: 'a Basic scheme', headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` } },
    ])('answers 401 UNAUTHORIZED for $description', async ({ headers }) => {
      expectError(await service.get(ME, headers), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a good token sent without the Bearer scheme', async () => {
      const { token } = await registerPhone(service);
      expectError(await service.get(ME, { authorization: token }), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a good token followed by more text', async () => {
      const { token } = await registerPhone(service);
      expectError(await service.get(ME, { authorization: `Bearer ${token} extra` }), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a token with a tampered signature, also right after the good token was accepted (and remembered)', async () => {
      const { token } = await registerPhone(service);
      expectStatus(await service.get(ME, bearer(token)), 200);
      const tampered = tamperSignature(token);
      expect(tampered).not.toBe(token);
      expectError(await service.get(ME, bearer(tampered)), 401, 'UNAUTHORIZED');
    });

    it("answers 401 UNAUTHORIZED for a token whose payload was changed to another customer's id", async () => {
      const victim = await registerPhone(service);
      const attacker = await registerPhone(service);
      const [header, payload, signature] = attacker.token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = `${header}.${base64url({ ...claims, sub: String(victim.customer.id) })}.${signature}`;
      expectStatus(await service.get(ME, bearer(attacker.token)), 200);
      expectError(await service.get(ME, bearer(forged)), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for an alg:none token', async () => {
      const { customer } = await registerPhone(service);
      const claims = { sub: String(customer.id), iss: 'customer-auth', iat: nowSeconds(), exp: nowSeconds() + 3600, jti: 'x' };
      for (const token of [
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`,
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}`,
        `${base64url({ alg: 'NONE', typ: 'JWT' })}.${base64url(claims)}.`,
      ]) {
        expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
      }
    });

    it('answers 401 UNAUTHORIZED for a token signed with another secret', async () => {
      const token = await signWith('another-secret-that-is-also-long-enough-0123456789', goodClaims(await registerPhone(service)));
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it('answers 200 for a hand-made token with the right secret and claims (the control for the cases below)', async () => {
      const token = await signWith(TEST_JWT_SECRET, goodClaims(await registerPhone(service)));
      expectStatus(await service.get(ME, bearer(token)), 200);
    });

    it.each([
      { description: 'another issuer', change: { iss: 'someone-else' } },
      { description: 'no issuer', change: { iss: undefined } },
      { description: 'no expiry', change: { expSeconds: undefined } },
      { description: 'no jti', change: { jti: undefined } },
      { description: 'no subject', change: { sub: undefined } },
      { description: 'a subject that is not a number', change: { sub: 'admin' } },
      { description: 'a subject of a customer that does not exist', change: { sub: '987654321' } },
      { description: 'a negative subject', change: { sub: '-1' } },
      { description: 'no session id', change: { sid: undefined } },
      { description: 'a session id of no session', change: { sid: 'AAAAAAAAAAAAAAAAAAAAAA' } },
      { description: 'no kid', change: { kid: undefined } },
      { description: 'an unknown kid', change: { kid: 'hs-unknown-key-id' } },
    ])('answers 401 UNAUTHORIZED for a token with the right secret but $description', async ({ change }) => {
      const token = await signWith(TEST_JWT_SECRET, { ...goodClaims(await registerPhone(service)), ...change });
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a token with the right secret but another HMAC algorithm (HS512)', async () => {
      const token = await signWith(TEST_JWT_SECRET, goodClaims(await registerPhone(service)), 'HS512');
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for the token of a customer deleted since', async () => {
      const { token, customer } = await registerPhone(service);
      await sql(service, 'delete from customers where id = ?', [customer.id]);
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
    });

    it.each([{ status: 'blocked' as const }, { status: 'inactive' as const }])(
      'answers 403 ACCOUNT_INACTIVE for the token of a customer $status since, and 200 again once active',
      async ({ status }) => {
        const { token, customer } = await registerPhone(service);
        await setCustomerStatus(service, customer.id, status);
        expectError(await service.get(ME, bearer(token)), 403, 'ACCOUNT_INACTIVE');
        await setCustomerStatus(service, customer.id, 'active');
        expectStatus(await service.get(ME, bearer(token)), 200);
      },
    );
  });
});
