// Key material for access tokens: the one signing key, every key that still verifies (the signing
// key and the previous public keys kept through a rotation), and the public JWKS other services
// read. Each key carries its own algorithm: a key verifies tokens of that algorithm only.
import { createHash, createHmac, createPublicKey, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'ES256' | 'EdDSA';
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'ES256', 'EdDSA'];

/** A key as fast-jwt takes it: the HMAC secret, or a PEM (PKCS#8 private, SPKI public). */
export interface TokenKey {
  kid: string;
  algorithm: JwtAlgorithm;
  key: string;
}

/** A public key as published in the JWKS: never a private part. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
}

export interface KeyRing {
  signing: TokenKey;
  /** By kid: the signing key and every previous public key. */
  verifying: ReadonlyMap<string, TokenKey>;
  jwks: { keys: PublicJwk[] };
}

export type KeyRingInput =
  | { algorithm: 'HS256'; secret: string }
  | { algorithm: AsymmetricAlgorithm; privateKey: KeyObject; previousPublicKeys: KeyObject[] };

/** The JWS algorithm a key can sign for: ES256 for a P-256 key, EdDSA for Ed25519; undefined for any other. */
export function asymmetricAlgorithmOf(key: KeyObject): AsymmetricAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

export function createKeyRing(input: KeyRingInput): KeyRing {
  if (input.algorithm === 'HS256') {
    const signing: TokenKey = { kid: secretKid(input.secret), algorithm: 'HS256', key: input.secret };
    // An HMAC secret is never published: the JWKS of an HS256 service is empty.
    return { signing, verifying: new Map([[signing.kid, signing]]), jwks: { keys: [] } };
  }
  const current = publicEntry(createPublicKey(input.privateKey));
  if (current.jwk.alg !== input.algorithm) throw new Error(`the private key is not a ${input.algorithm} key`);
  const signing: TokenKey = {
    kid: current.jwk.kid,
    algorithm: input.algorithm,
    key: input.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const verifying = new Map<string, TokenKey>();
  const jwks: PublicJwk[] = [];
  for (const entry of [current, ...input.previousPublicKeys.map(publicEntry)]) {
    if (verifying.has(entry.verifier.kid)) continue; // the current key listed among the previous ones too
    verifying.set(entry.verifier.kid, entry.verifier);
    jwks.push(entry.jwk);
  }
  return { signing, verifying, jwks: { keys: jwks } };
}

function publicEntry(publicKey: KeyObject): { jwk: PublicJwk; verifier: TokenKey } {
  const algorithm = asymmetricAlgorithmOf(publicKey);
  if (algorithm === undefined) throw new Error('a JWT key must be an EC P-256 (ES256) or Ed25519 (EdDSA) key');
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  if (kty === undefined || crv === undefined || x === undefined) throw new Error('the public key has no JWK form');
  const kid = thumbprint({ kty, crv, x, y });
  const jwk: PublicJwk = { kty, crv, x, ...(y === undefined ? {} : { y }), kid, alg: algorithm, use: 'sig' };
  return { jwk, verifier: { kid, algorithm, key: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

/**
 * RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order, no spaces
 * (EC: crv, kty, x, y; OKP: crv, kty, x), base64url. Anyone holding the public key gets the same kid.
 */
function thumbprint(members: { kty: string; crv: string; x: string; y?: string | undefined }): string {
  const canonical =
    members.y === undefined
      ? JSON.stringify({ crv: members.crv, kty: members.kty, x: members.x })
      : JSON.stringify({ crv: members.crv, kty: members.kty, x: members.x, y: members.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** A stable id for an HMAC secret that reveals nothing about it (an HMAC of a fixed label). */
function secretKid(secret: string): string {
  return `hs-${createHmac('sha256', secret).update('customer-auth jwt kid').digest('base64url').slice(0, 16)}`;
}
