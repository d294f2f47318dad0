// The refresh scenario: every request spends one refresh token, and its answer's successor goes
// back into the pool, so a pool of tokens from the verify run lasts any number of seconds and no
// token is ever presented twice (a second use would be a replay, answered 401).
import type { LoadOptions } from './measure.js';

const REFRESH_TOKEN = /"refresh_token":"([^"]+)"/;

/** At most this many refresh tokens are kept from the verify run: the pool refills itself. */
export const REFRESH_POOL_SIZE = 1000;

/** Collects the refresh token of a verify answer into the pool (up to its size). */
export function keepRefreshToken(pool: string[], body: string): void {
  const token = REFRESH_TOKEN.exec(body)?.[1];
  if (token !== undefined && pool.length < REFRESH_POOL_SIZE) pool.push(token);
}

export function refreshLoad(
  serviceUrl: string,
  connections: number,
  pids: LoadOptions['pids'],
  pool: string[],
): (seconds: number) => LoadOptions {
  if (pool.length < connections * 2) throw new Error(`refresh: only ${pool.length} refresh tokens from the verify run`);
  return (seconds) => ({
    url: `${serviceUrl}/api/v1/auth/refresh`,
    method: 'POST',
    connections,
    durationSeconds: seconds,
    // The pool holds far more tokens than requests in flight; an empty one would fail loudly (401).
    next: () => ({ body: JSON.stringify({ refresh_token: pool.shift() ?? 'pool-ran-dry' }) }),
    check: (body) => REFRESH_TOKEN.test(body) && body.includes('"access_token"'),
    onOk: (body) => keepRefreshToken(pool, body),
    pids: { ...pids },
  });
}
