// Refresh tokens: opaque, 256 bits, stored only as a SHA-256 hash.
//
// The first token of a session comes from the CSPRNG. Each successor is an HMAC, under a key only
// the service holds, of the token it replaces: a client that retries a refresh whose answer it lost
// presents the same token again and, inside the grace window, is given the same successor back,
// without the successor ever being stored in plain text. The input is the token itself (which only
// the client holds), not its stored hash, so even a stolen database plus the key yields no token.
import { createHash, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;

/** The successor key, derived from JWT_SECRET (HKDF, its own label): one secret is enough. */
export function deriveRefreshKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'customer-auth', 'refresh-successor-key', 32));
}

export function createRefreshTokens(keyBytes: Buffer) {
  // Made once: an HMAC keyed by a KeyObject costs a tenth of one keyed by a Buffer on Node 24 (see otp.ts).
  const key = createSecretKey(keyBytes);
  return {
    /** A new session's first token: 256 bits from the CSPRNG, base64url (43 characters). */
    generate(): string {
      return randomBytes(TOKEN_BYTES).toString('base64url');
    },
    /** What the database holds instead of the token. */
    hash(token: string): string {
      return createHash('sha256').update(token).digest('base64url');
    },
    /** The one token that replaces `token`: the same every time it is asked for. */
    successorOf(token: string): string {
      return createHmac('sha256', key).update('refresh-successor\n').update(token).digest('base64url');
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
