// Sessions: a sign-in starts one (an access token plus a refresh token), a refresh rotates it, a
// replayed refresh token ends it, logout ends one or all. Access tokens name their session (sid),
// so a revoked session's access tokens stop working at once.
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { customerCanSignIn } from './customers.js';
import type { Clock, Customer, Events, Log, Session, SessionStore, Store } from './ports.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { Tokens } from './tokens.js';

export interface SessionSettings {
  refreshTtlSeconds: number;
  /** A spent refresh token presented again this soon gets the same successor back; 0: never. */
  reuseGraceSeconds: number;
}

export interface SessionDeps {
  store: SessionStore;
  customers: Pick<Store, 'findCustomerById'>;
  tokens: Tokens;
  refreshTokens: RefreshTokens;
  clock: Clock;
  log: Log;
  /** Counts rotations, reuses and refused tokens (metrics; a reuse is also a warn-level security event). */
  events: Pick<Events, 'refresh'>;
  settings: SessionSettings;
}

/** Where a sign-in came from, kept with its session. */
export interface ClientInfo {
  clientAddress: string;
  userAgent?: string | undefined;
}

export interface SignedIn {
  customer: Customer;
  sessionId: string;
  accessToken: string;
  expiresInSeconds: number;
  refreshToken: string;
  refreshExpiresInSeconds: number;
}

export interface Authenticated {
  customer: Customer;
  sessionId: string;
}

export interface LogoutRequest {
  /** Ends this token's session too (when it is the caller's). */
  refreshToken?: string | undefined;
  /** Ends every session of the caller. */
  all?: boolean | undefined;
}

/** Ended sessions stay listed for support this long, then the sweep deletes them and their tokens. */
const ENDED_SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;
const MAX_USER_AGENT_LENGTH = 512;

export function createSessionService(deps: SessionDeps) {
  const { store, customers, tokens, refreshTokens, clock, events, settings } = deps;
  const refreshTtlMs = settings.refreshTtlSeconds * 1000;
  const graceMs = settings.reuseGraceSeconds * 1000;

  async function issue(customer: Customer, sessionId: string, refreshToken: string, refreshExpiresAtMs: number, nowMs: number): Promise<SignedIn> {
    const access = await tokens.sign({ customerId: customer.id, sessionId }, nowMs);
    return {
      customer,
      sessionId,
      accessToken: access.token,
      expiresInSeconds: access.expiresInSeconds,
      refreshToken,
      refreshExpiresInSeconds: Math.max(0, Math.floor((refreshExpiresAtMs - nowMs) / 1000)),
    };
  }

  /** A verified code signs the customer in: a new session with its first refresh token. */
  async function start(customer: Customer, client: ClientInfo, nowMs: number): Promise<SignedIn> {
    const sessionId = randomBytes(16).toString('base64url');
    const refreshToken = refreshTokens.generate(sessionId);
    const expiresAtMs = nowMs + refreshTtlMs;
    await store.createSession(
      {
        id: sessionId,
        customerId: customer.id,
        createdAtMs: nowMs,
        lastUsedAtMs: nowMs,
        expiresAtMs,
        userAgent: client.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        clientAddress: client.clientAddress,
      },
      { tokenHash: refreshTokens.keyOf(refreshToken).tokenHash, sessionId, createdAtMs: nowMs, expiresAtMs },
    );
    return issue(customer, sessionId, refreshToken, expiresAtMs, nowMs);
  }

  function invalidToken(): AppError {
    events.refresh('invalid');
    return new AppError('REFRESH_TOKEN_INVALID');
  }

  /** Exchanges a refresh token for a new access token and its successor, spending it. */
  async function refresh(refreshToken: string): Promise<SignedIn> {
    const nowMs = clock.now();
    const key = refreshTokens.keyOf(refreshToken);
    const stored = await store.findRefreshToken(key);
    if (stored === undefined || stored.expiresAtMs <= nowMs || stored.sessionRevokedAtMs !== null) throw invalidToken();
    const customer = await customers.findCustomerById(stored.customerId);
    if (customer === undefined) throw invalidToken();
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');

    const successor = refreshTokens.successorOf(refreshToken, stored.sessionId);
    const successorKey = refreshTokens.keyOf(successor);
    let spentAtMs = stored.spentAtMs;
    if (spentAtMs === null) {
      // One step: the successor is stored whoever wins (so a loser finds it below), and of parallel
      // refreshes of one token exactly one wins the conditional spend.
      const expiresAtMs = nowMs + refreshTtlMs;
      if (await store.rotateRefreshToken(key, { tokenHash: successorKey.tokenHash, sessionId: stored.sessionId, createdAtMs: nowMs, expiresAtMs })) {
        events.refresh('success', { customerId: customer.id });
        return issue(customer, stored.sessionId, successor, expiresAtMs, nowMs);
      }
      spentAtMs = nowMs; // a parallel refresh spent it a moment ago
    }

    // Spent already: a client retrying a refresh whose answer it lost gets the same successor back,
    // as long as that successor is itself unused; anything else is a replay.
    if (nowMs - spentAtMs < graceMs) {
      const next = await store.findRefreshToken(successorKey);
      if (next !== undefined && next.spentAtMs === null && next.sessionRevokedAtMs === null && next.expiresAtMs > nowMs) {
        events.refresh('success', { customerId: customer.id });
        return issue(customer, stored.sessionId, successor, next.expiresAtMs, nowMs);
      }
    }
    await store.revokeSession(stored.sessionId, stored.customerId, nowMs);
    events.refresh('reuse', { customerId: stored.customerId, sessionId: stored.sessionId });
    throw new AppError('REFRESH_TOKEN_REUSED');
  }

  /** The signed-in customer and session behind an access token; a revoked session is refused at once. */
  async function authenticate(accessToken: string): Promise<Authenticated> {
    const nowMs = clock.now();
    const claims = await tokens.verify(accessToken, nowMs);
    if (claims === undefined) throw new AppError('UNAUTHORIZED');
    // One lookup: the customer comes back only while the session is live.
    const customer = await store.findSessionCustomer(claims.sessionId, claims.customerId, nowMs);
    if (customer === undefined) throw new AppError('UNAUTHORIZED');
    if (!customerCanSignIn(customer)) throw new AppError('ACCOUNT_INACTIVE');
    return { customer, sessionId: claims.sessionId };
  }

  /** Ends the caller's session (and the refresh token's, if another of theirs), or all of them; returns how many ended. */
  async function logout(accessToken: string, request: LogoutRequest): Promise<number> {
    const caller = await authenticate(accessToken);
    const customerId = caller.customer.id;
    const nowMs = clock.now();
    if (request.all === true) return store.revokeCustomerSessions(customerId, nowMs);
    let ended = (await store.revokeSession(caller.sessionId, customerId, nowMs)) ? 1 : 0;
    if (request.refreshToken !== undefined) {
      const stored = await store.findRefreshToken(refreshTokens.keyOf(request.refreshToken));
      // Another customer's token ends nothing: revokeSession only touches the caller's own.
      if (stored !== undefined && stored.sessionId !== caller.sessionId && (await store.revokeSession(stored.sessionId, customerId, nowMs))) ended += 1;
    }
    return ended;
  }

  /** Logout by refresh token alone (a browser whose page lost its access token): ends that token's session; an unknown one ends nothing. */
  async function endByRefreshToken(refreshToken: string): Promise<number> {
    const stored = await store.findRefreshToken(refreshTokens.keyOf(refreshToken));
    if (stored === undefined) return 0;
    return (await store.revokeSession(stored.sessionId, stored.customerId, clock.now())) ? 1 : 0;
  }

  async function list(accessToken: string): Promise<{ sessions: Session[]; currentId: string }> {
    const caller = await authenticate(accessToken);
    return { sessions: await store.listSessions(caller.customer.id, clock.now()), currentId: caller.sessionId };
  }

  /** Ends one of the caller's sessions; another customer's is unknown (404), never forbidden. */
  async function end(accessToken: string, sessionId: string): Promise<void> {
    const caller = await authenticate(accessToken);
    if (!(await store.revokeSession(sessionId, caller.customer.id, clock.now()))) throw new AppError('SESSION_NOT_FOUND');
  }

  async function sweep(nowMs: number): Promise<void> {
    await store.deleteEndedSessions(nowMs - ENDED_SESSION_RETENTION_MS);
  }

  return { start, refresh, authenticate, logout, endByRefreshToken, list, end, sweep };
}

export type SessionService = ReturnType<typeof createSessionService>;
