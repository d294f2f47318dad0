// Refresh tokens: opaque to clients, 256 bits, stored only as a SHA-256 hash.
//
// A token is `<session id>.<secret>`: it names its session, so the database keeps a session's
// tokens together (keyed by session, then hash) and a rotation writes one place instead of
// scattering its successor and its spent token over the table. Tokens issued before this carry no
// session ("legacy": the bare secret); they keep working, looked up by hash alone, until they expire.
//
// The first token of a session comes from the CSPRNG. Each successor is an HMAC, under a key only
// the service holds, of the token it replaces: a client that retries a refresh whose answer it lost
// presents the same token again and, inside the grace window, is given the same successor back,
// without the successor ever being stored in plain text. The input is the token itself (which only
// the client holds), not its stored hash, so even a stolen database plus the key yields no token.
import { createHash, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import type { RefreshTokenKey } from './ports.js';

const TOKEN_BYTES = 32;
/** A session id (22 base64url characters, 128 bits) and a dot in front of the secret. */
const WITH_SESSION = /^([A-Za-z0-9_-]{22})\./;

/** The successor key, derived from JWT_SECRET (HKDF, its own label): one secret is enough. */
export function deriveRefreshKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'customer-auth', 'refresh-successor-key', 32));
}

export function createRefreshTokens(keyBytes: Buffer) {
  // Made once: an HMAC keyed by a KeyObject costs a tenth of one keyed by a Buffer on Node 24 (see otp.ts).
  const key = createSecretKey(keyBytes);
  return {
    /** A new session's first token: its session id, then 256 bits from the CSPRNG, base64url (43 characters). */
    generate(sessionId: string): string {
      return `${sessionId}.${randomBytes(TOKEN_BYTES).toString('base64url')}`;
    },
    /** Where the database finds the token: the session it names (none for a legacy one) and the SHA-256 it holds instead of the token. */
    keyOf(token: string): RefreshTokenKey {
      return { sessionId: WITH_SESSION.exec(token)?.[1], tokenHash: createHash('sha256').update(token).digest('base64url') };
    },
    /** The one token that replaces `token` (of session `sessionId`): the same every time it is asked for. */
    successorOf(token: string, sessionId: string): string {
      return `${sessionId}.${createHmac('sha256', key).update('refresh-successor\n').update(token).digest('base64url')}`;
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
