// Access tokens: HS256 JWTs. Everything about JWTs lives here, behind sign/verify, so the
// implementation (and later key rotation and JWKS) can change without touching callers.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export interface TokenSettings {
  secret: string;
  ttlSeconds: number;
  issuer: string;
}

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

export function createTokens(settings: TokenSettings) {
  const key = new TextEncoder().encode(settings.secret);

  async function sign(customerId: number, nowMs: number): Promise<IssuedToken> {
    const iat = Math.floor(nowMs / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(customerId))
      .setIssuer(settings.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
    return { token, expiresInSeconds: settings.ttlSeconds };
  }

  /** The customer id in a valid token, or undefined for any token we did not issue or that expired. */
  async function verify(token: string, nowMs: number): Promise<number | undefined> {
    try {
      // The algorithm is pinned: alg "none" or an RS/HS confusion never verifies.
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: settings.issuer,
        currentDate: new Date(nowMs),
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      });
      const id = Number(payload.sub);
      return Number.isSafeInteger(id) && id > 0 ? id : undefined;
    } catch {
      return undefined;
    }
  }

  return { sign, verify };
}

export type Tokens = ReturnType<typeof createTokens>;
