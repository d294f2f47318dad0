// Access tokens: HS256 JWTs. Everything about JWTs lives here, behind sign/verify, so the
// implementation (and later key rotation and JWKS) can change without touching callers.
// fast-jwt rather than jose: jose signs through WebCrypto (about 70 µs a token here), fast-jwt
// through node:crypto's HMAC (about 9 µs); both are mature, and the algorithm stays pinned.
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';

export interface TokenSettings {
  secret: string;
  ttlSeconds: number;
  issuer: string;
}

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

interface Claims {
  sub?: unknown;
  iat?: unknown;
  exp?: unknown;
  jti?: unknown;
}

export function createTokens(settings: TokenSettings) {
  // iat and exp come from the service's clock in the payload (fast-jwt keeps a given iat).
  const signer = createSigner({ key: settings.secret, algorithm: 'HS256' });
  // The algorithm and issuer are pinned: alg "none" or a key-type confusion never verifies.
  // Time claims are checked below against the service's clock rather than fast-jwt's own.
  const verifier = createVerifier({
    key: settings.secret,
    algorithms: ['HS256'],
    allowedIss: settings.issuer,
    requiredClaims: ['sub', 'iss', 'iat', 'exp', 'jti'],
    ignoreExpiration: true,
    ignoreNotBefore: true,
  });

  async function sign(customerId: number, nowMs: number): Promise<IssuedToken> {
    const iat = Math.floor(nowMs / 1000);
    const token = signer({ sub: String(customerId), iss: settings.issuer, iat, exp: iat + settings.ttlSeconds, jti: randomUUID() });
    return { token, expiresInSeconds: settings.ttlSeconds };
  }

  /** The customer id in a valid token, or undefined for any token we did not issue or that expired. */
  async function verify(token: string, nowMs: number): Promise<number | undefined> {
    let claims: Claims;
    try {
      claims = verifier(token) as Claims;
    } catch {
      return undefined;
    }
    const nowSeconds = Math.floor(nowMs / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return undefined;
    if (typeof claims.sub !== 'string' || !/^[1-9][0-9]{0,15}$/.test(claims.sub)) return undefined;
    const id = Number(claims.sub);
    return Number.isSafeInteger(id) ? id : undefined;
  }

  return { sign, verify };
}

export type Tokens = ReturnType<typeof createTokens>;
