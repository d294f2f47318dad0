// Access tokens: JWTs signed with the key ring's signing key (HS256, ES256 or EdDSA), carrying the
// customer (sub) and the session (sid). Everything about JWTs lives here, behind sign/verify.
// fast-jwt rather than jose: jose signs through WebCrypto (about 70 µs an HS256 token here),
// fast-jwt through node:crypto (about 9 µs); both are mature, and the algorithm stays pinned.
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { KeyRing } from './keys.js';

export interface TokenSettings {
  keys: KeyRing;
  ttlSeconds: number;
  issuer: string;
  /** Put in `aud` and required on verify when set. */
  audience: string | undefined;
}

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

/** What a valid access token says. */
export interface AccessClaims {
  customerId: number;
  sessionId: string;
}

interface Claims {
  sub?: unknown;
  sid?: unknown;
  exp?: unknown;
}

/** Header members that carry or point at key material: a token never chooses its own key. */
const EMBEDDED_KEY_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
/**
 * Tokens that verified, remembered by their exact text (at most this many, the oldest forgotten
 * first): a client sends the same access token on every call for up to an hour, and its signature,
 * header and claims cannot have changed since. Only a token that passed every check gets in; a
 * remembered one is still refused once expired, and the session check runs on every request.
 * About 0.4 KB each, so at most ~4 MB.
 */
export const VERIFIED_TOKENS_KEPT = 10_000;
const CUSTOMER_ID = /^[1-9][0-9]{0,15}$/;

export function createTokens(settings: TokenSettings) {
  const { signing, verifying } = settings.keys;
  // iat and exp come from the service's clock in the payload (fast-jwt keeps a given iat).
  const signer = createSigner({ key: signing.key, algorithm: signing.algorithm, kid: signing.kid });
  const audience = settings.audience === undefined ? {} : { aud: settings.audience };
  // One verifier per key, each pinned to that key's algorithm and to the issuer (and audience).
  // Time claims are checked below against the service's clock rather than fast-jwt's own.
  const verifiers = new Map(
    [...verifying.values()].map((entry) => [
      entry.kid,
      {
        algorithm: entry.algorithm,
        verify: createVerifier({
          key: entry.key,
          algorithms: [entry.algorithm],
          allowedIss: settings.issuer,
          ...(settings.audience === undefined ? {} : { allowedAud: settings.audience }),
          requiredClaims: ['sub', 'sid', 'iss', 'iat', 'exp', 'jti', ...(settings.audience === undefined ? [] : ['aud'])],
          ignoreExpiration: true,
          ignoreNotBefore: true,
        }),
      },
    ]),
  );

  async function sign(claims: AccessClaims, nowMs: number): Promise<IssuedToken> {
    const iat = Math.floor(nowMs / 1000);
    const token = signer({
      sub: String(claims.customerId),
      sid: claims.sessionId,
      iss: settings.issuer,
      ...audience,
      iat,
      exp: iat + settings.ttlSeconds,
      jti: randomUUID(),
    });
    return { token, expiresInSeconds: settings.ttlSeconds };
  }

  const verified = new Map<string, { claims: AccessClaims; expSeconds: number }>();

  /** The claims of a valid token, or undefined for any token we did not issue or that expired. */
  async function verify(token: string, nowMs: number): Promise<AccessClaims | undefined> {
    const known = verified.get(token);
    if (known !== undefined) return known.expSeconds > Math.floor(nowMs / 1000) ? known.claims : undefined;
    const header = readHeader(token);
    if (header === undefined || EMBEDDED_KEY_MEMBERS.some((member) => member in header)) return undefined;
    // The kid picks the key, and the key fixes the algorithm: an unknown kid or another alg never verifies.
    const verifier = typeof header.kid === 'string' ? verifiers.get(header.kid) : undefined;
    if (verifier === undefined || header.alg !== verifier.algorithm) return undefined;
    let claims: Claims;
    try {
      claims = verifier.verify(token) as Claims;
    } catch {
      return undefined;
    }
    if (typeof claims.exp !== 'number' || claims.exp <= Math.floor(nowMs / 1000)) return undefined;
    if (typeof claims.sub !== 'string' || !CUSTOMER_ID.test(claims.sub)) return undefined;
    if (typeof claims.sid !== 'string' || !SESSION_ID.test(claims.sid)) return undefined;
    const customerId = Number(claims.sub);
    if (!Number.isSafeInteger(customerId)) return undefined;
    const accepted: AccessClaims = { customerId, sessionId: claims.sid };
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value as string);
    verified.set(token, { claims: accepted, expSeconds: claims.exp });
    return accepted;
  }

  return { sign, verify };
}

export type Tokens = ReturnType<typeof createTokens>;

function readHeader(token: string): Record<string, unknown> | undefined {
  const end = token.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
