// Asymmetric access tokens (ES256, EdDSA): other services verify them with nothing but the JWKS
// URL; every key pins its algorithm; a token never picks its own key; rotating the signing key
// signs nobody out.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTHeaderParameters } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { backendsUnderTest, freshDatabase } from '../support/backends.js';
import { JWKS, ME, REFRESH, expectError, expectStatus, registerEmail, registerPhone, type SignedIn } from '../support/flows.js';
import { spawnService } from '../support/process.js';
import { serviceForBlock, startService, type Service } from '../support/service.js';

type Algorithm = 'ES256' | 'EdDSA';

const generate: Record<Algorithm, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};
const OTHER: Record<Algorithm, Algorithm> = { ES256: 'EdDSA', EdDSA: 'ES256' };

const privatePem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The claims of a real sign-in, to copy into a hand-made token. */
function claimsOf(signedIn: SignedIn) {
  const { sub, sid, iss, iat, exp, jti, aud } = decodeJwt(signedIn.token);
  return { sub, sid, iss, iat, exp, jti, ...(aud === undefined ? {} : { aud }) };
}

function sign(claims: object, header: JWTHeaderParameters, key: KeyObject | Uint8Array): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader(header).sign(key);
}

function thirdParty(service: Service) {
  return createRemoteJWKSet(new URL(`${service.url}${JWKS}`));
}

describe.each(backendsUnderTest())('%s', (backend) => {
  describe('JWT_ALG=HS256 (the default)', () => {
    const service = serviceForBlock({ backend });

    it('publishes an empty key set: a shared secret is never published', async () => {
      const answer = await service.get(JWKS);
      expectStatus(answer, 200);
      expect(answer.body).toStrictEqual({ keys: [] });
    });
  });

  describe.each(['ES256', 'EdDSA'] as const)('JWT_ALG=%s', (alg) => {
    const keys = generate[alg]();
    const service = serviceForBlock({ backend, env: { JWT_ALG: alg, JWT_PRIVATE_KEY: privatePem(keys.privateKey) } });

    describe('GET /.well-known/jwks.json', () => {
      it('publishes the public key with its kid and alg, and never a private part', async () => {
        const answer = await service.get(JWKS);
        expectStatus(answer, 200);
        expect(answer.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
        expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
        const expected = keys.publicKey.export({ format: 'jwk' });
        expect(answer.body).toStrictEqual({ keys: [{ ...expected, kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), alg, use: 'sig' }] });
        expect(JSON.stringify(answer.body)).not.toMatch(/"d"|"p"|"q"/);
      });

      it('names the published key in the header of the tokens it signs', async () => {
        const { token } = await registerPhone(service);
        const { kid } = (await service.get(JWKS)).body.keys[0];
        expect(decodeProtectedHeader(token)).toStrictEqual({ alg, typ: 'JWT', kid });
      });
    });

    describe('a third party with only the JWKS URL (jose createRemoteJWKSet)', () => {
      it("verifies a signed-in customer's token, and a refreshed one", async () => {
        const signedIn = await registerEmail(service);
        const jwks = thirdParty(service);
        const verified = await jwtVerify(signedIn.token, jwks, { issuer: 'customer-auth', algorithms: [alg] });
        expect(verified.payload.sub).toBe(String(signedIn.customer.id));
        const refreshed = await service.post(REFRESH, { refresh_token: signedIn.refreshToken });
        expectStatus(refreshed, 200);
        const again = await jwtVerify(refreshed.body.data.access_token, jwks, { issuer: 'customer-auth', algorithms: [alg] });
        expect(again.payload.sid).toBe(verified.payload.sid);
      });

      it('refuses a token signed by a key not in the set', async () => {
        const signedIn = await registerPhone(service);
        const { kid } = decodeProtectedHeader(signedIn.token);
        const forged = await sign(claimsOf(signedIn), { alg, kid }, generate[alg]().privateKey);
        await expect(jwtVerify(forged, thirdParty(service), { algorithms: [alg] })).rejects.toThrow(/signature/i);
      });
    });

    describe('GET /api/v1/auth/me', () => {
      it('answers 200 for a hand-made token signed with the service key, its kid and real claims (the control for the cases below)', async () => {
        const signedIn = await registerPhone(service);
        const { kid } = decodeProtectedHeader(signedIn.token);
        const token = await sign(claimsOf(signedIn), { alg, typ: 'JWT', kid }, keys.privateKey);
        expectStatus(await service.get(ME, bearer(token)), 200);
      });

      it.each<{ description: string; forge: (claims: object, kid: string) => Promise<string> }>([
        {
          description: 'HS256 in the header, keyed with the public key (algorithm confusion)',
          forge: (claims, kid) => sign(claims, { alg: 'HS256', kid }, new TextEncoder().encode(publicPem(keys.publicKey))),
        },
        {
          description: `${OTHER[alg]} in the header, signed by another key, with the service's kid`,
          forge: (claims, kid) => sign(claims, { alg: OTHER[alg], kid }, generate[OTHER[alg]]().privateKey),
        },
        {
          description: 'an unknown kid, signed with the service key itself',
          forge: (claims) => sign(claims, { alg, kid: 'not-a-key-we-know' }, keys.privateKey),
        },
        {
          description: 'no kid, signed with the service key itself',
          forge: (claims) => sign(claims, { alg }, keys.privateKey),
        },
        {
          description: "an embedded jwk of the attacker's key, with the service's kid",
          forge: (claims, kid) => {
            const attacker = generate[alg]();
            return sign(claims, { alg, kid, jwk: attacker.publicKey.export({ format: 'jwk' }) as JWTHeaderParameters['jwk'] }, attacker.privateKey);
          },
        },
        {
          description: "an embedded jwk of the service's own key, signed with it",
          forge: (claims, kid) => sign(claims, { alg, kid, jwk: keys.publicKey.export({ format: 'jwk' }) as JWTHeaderParameters['jwk'] }, keys.privateKey),
        },
        {
          description: 'a jku pointing elsewhere, signed with the service key itself',
          forge: (claims, kid) => sign(claims, { alg, kid, jku: 'http://127.0.0.1:9/jwks.json' }, keys.privateKey),
        },
        {
          description: 'alg none',
          forge: async (claims, kid) => `${base64url({ alg: 'none', kid })}.${base64url(claims)}.`,
        },
      ])('answers 401 UNAUTHORIZED for a token with $description', async ({ forge }) => {
        const signedIn = await registerPhone(service);
        const { kid } = decodeProtectedHeader(signedIn.token);
        expectError(await service.get(ME, bearer(await forge(claimsOf(signedIn), kid!))), 401, 'UNAUTHORIZED');
      });
    });
  });

  describe('JWT_AUDIENCE=shop-api', () => {
    const keys = generate.ES256();
    const service = serviceForBlock({ backend, env: { JWT_ALG: 'ES256', JWT_PRIVATE_KEY: privatePem(keys.privateKey), JWT_AUDIENCE: 'shop-api' } });

    it('puts the audience in tokens, where a third party checks it', async () => {
      const signedIn = await registerPhone(service);
      expect(decodeJwt(signedIn.token).aud).toBe('shop-api');
      await expect(jwtVerify(signedIn.token, thirdParty(service), { audience: 'shop-api' })).resolves.toBeDefined();
      await expect(jwtVerify(signedIn.token, thirdParty(service), { audience: 'another-api' })).rejects.toThrow(/aud/);
    });

    it.each([
      { description: 'no audience', aud: undefined },
      { description: 'another audience', aud: 'another-api' },
    ])('answers 401 UNAUTHORIZED for a token signed with the service key but $description', async ({ aud }) => {
      const signedIn = await registerPhone(service);
      const { kid } = decodeProtectedHeader(signedIn.token);
      const { aud: _ignored, ...claims } = claimsOf(signedIn);
      const token = await sign(aud === undefined ? claims : { ...claims, aud }, { alg: 'ES256', kid }, keys.privateKey);
      expectError(await service.get(ME, bearer(token)), 401, 'UNAUTHORIZED');
      // The control: the same token with the audience verifies.
      expectStatus(await service.get(ME, bearer(await sign({ ...claims, aud: 'shop-api' }, { alg: 'ES256', kid }, keys.privateKey))), 200);
    });
  });

  describe('key rotation (JWT_PREVIOUS_PUBLIC_KEYS)', () => {
    const started: Service[] = [];
    afterAll(async () => {
      for (const service of started) await service.close();
      await database?.drop();
    });
    let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;

    /** Each step is the service restarted over the same database with new key settings. */
    async function restart(env: Record<string, string>, previous?: Service): Promise<Service> {
      await previous?.close();
      const service = await startService({ backend, database, env, clock: previous?.clock });
      started.push(service);
      return service;
    }

    it('keeps verifying tokens of the previous key until it is removed, and never a key not in the list', async () => {
      database = await freshDatabase(backend);
      const oldKey = generate.ES256();
      const newKey = generate.EdDSA();

      // Before: signing with the old key.
      const before = await restart({ JWT_ALG: 'ES256', JWT_PRIVATE_KEY: privatePem(oldKey.privateKey) });
      const signedIn = await registerPhone(before);
      const oldKid = decodeProtectedHeader(signedIn.token).kid;

      // The rotation: a new signing key (of another algorithm, even), the old public key kept.
      const during = await restart(
        { JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY: privatePem(newKey.privateKey), JWT_PREVIOUS_PUBLIC_KEYS: publicPem(oldKey.publicKey) },
        before,
      );
      expectStatus(await during.get(ME, bearer(signedIn.token)), 200);
      const published = (await during.get(JWKS)).body.keys as Array<{ kid: string; alg: string }>;
      expect(published.map((key) => key.alg)).toStrictEqual(['EdDSA', 'ES256']);
      expect(published[1]!.kid).toBe(oldKid);
      await expect(jwtVerify(signedIn.token, thirdParty(during))).resolves.toBeDefined();
      const refreshed = await during.post(REFRESH, { refresh_token: signedIn.refreshToken });
      expectStatus(refreshed, 200);
      const newToken = refreshed.body.data.access_token as string;
      expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'EdDSA', kid: published[0]!.kid });
      // A key that is in neither place verifies nothing, whatever kid it claims.
      const stranger = generate.ES256();
      const forged = await sign(claimsOf(signedIn), { alg: 'ES256', kid: oldKid! }, stranger.privateKey);
      expectError(await during.get(ME, bearer(forged)), 401, 'UNAUTHORIZED');

      // After: the old key removed from the list.
      const after = await restart({ JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY: privatePem(newKey.privateKey) }, during);
      expectError(await after.get(ME, bearer(signedIn.token)), 401, 'UNAUTHORIZED');
      expectStatus(await after.get(ME, bearer(newToken)), 200);
      expect((await after.get(JWKS)).body.keys).toHaveLength(1);
    });
  });
});

describe('JWT_ALG=ES256 in development without JWT_PRIVATE_KEY', () => {
  it('generates a key once under ./data, says so, and signs with the same key after a restart', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'customer-auth-devkey-'));
    const env = { NODE_ENV: 'development', JWT_ALG: 'ES256', DATABASE_URL: 'sqlite:./data/dev.db' };
    const kids: string[] = [];
    try {
      for (let start = 0; start < 2; start++) {
        const service = await spawnService(env, { cwd: directory });
        try {
          const jwks = (await (await fetch(`${service.url}${JWKS}`)).json()) as { keys: Array<{ kid: string; alg: string }> };
          expect(jwks.keys.map((key) => key.alg)).toStrictEqual(['ES256']);
          kids.push(jwks.keys[0]!.kid);
          expect(service.output()).toContain('JWT_PRIVATE_KEY is not set');
        } finally {
          await service.stop();
        }
      }
      expect(kids[1]).toBe(kids[0]);
      expect(statSync(join(directory, 'data', 'jwt-es256-private.pem')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000); // two real processes started one after the other
});
