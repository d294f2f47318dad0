// Cookie mode: a browser that sends `X-Session-Mode: cookie` on a verify or refresh gets its refresh
// token in an httpOnly cookie instead of the body, so no script on the page can read it; refresh and
// logout then take the token from that cookie. Every cookie-mode request must come from the
// service's own origin or one of CORS_ORIGINS (CSRF): the custom header already forces a CORS
// preflight on a cross-site fetch, and the Origin check refuses what gets past it.
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const SESSION_MODE_HEADER = 'x-session-mode';
/** Over plain HTTP (development) the cookie is scoped to the auth routes by path. */
const AUTH_PATH = '/api/v1/auth';
const BASE_NAME = 'refresh_token';
/** `__Host-` pins the cookie to this exact host (no Domain, Secure, Path=/): a sibling subdomain cannot plant or overwrite it. */
const HOST_NAME = `__Host-${BASE_NAME}`;

export interface CookieModeSettings {
  /** PUBLIC_ORIGIN: the service's origin as browsers see it; unset, each request's Host and protocol. */
  publicOrigin: string | undefined;
  /** CORS_ORIGINS: other origins whose pages may use cookie mode. */
  corsOrigins: string[];
  /** Production always marks the cookie Secure, even behind a proxy that speaks plain HTTP to us. */
  production: boolean;
}

/** The refresh-token part of a signed-in answer's data. */
interface TokenData {
  refresh_token?: string;
  refresh_expires_in: number;
}

export interface CookieMode {
  /** True when the request asked for cookie mode (its origin was checked on arrival). */
  wanted(request: FastifyRequest): boolean;
  /** The refresh token from the body, else (in cookie mode) from the cookie; undefined when neither. */
  refreshToken(request: FastifyRequest, fromBody: string | undefined): string | undefined;
  /** In cookie mode moves the refresh token of a signed-in answer from the body into the cookie. */
  deliver<T extends { data: TokenData }>(request: FastifyRequest, reply: FastifyReply, answer: T): T;
  /** Deletes the cookie (logout, or a refresh token that no longer works). */
  clear(request: FastifyRequest, reply: FastifyReply): void;
}

export function registerCookieMode(app: FastifyInstance, settings: CookieModeSettings): CookieMode {
  void app.register(cookie);
  const allowed = new Set(settings.corsOrigins);

  function ownOrigin(request: FastifyRequest): string {
    return settings.publicOrigin ?? `${request.protocol}://${request.host}`;
  }

  function https(request: FastifyRequest): boolean {
    return ownOrigin(request).startsWith('https:');
  }

  function attributes(request: FastifyRequest) {
    const hostOnly = https(request);
    return {
      name: hostOnly ? HOST_NAME : BASE_NAME,
      options: {
        httpOnly: true,
        secure: hostOnly || settings.production,
        sameSite: 'strict' as const,
        path: hostOnly ? '/' : AUTH_PATH,
      },
    };
  }

  function wanted(request: FastifyRequest): boolean {
    return request.headers[SESSION_MODE_HEADER] !== undefined;
  }

  // Checked on arrival, before a code is spent or a token rotated: a refused request changes nothing.
  // A callback hook, not an async one: most requests carry no such header, and pay no promise for it.
  app.addHook('onRequest', (request, _reply, done) => {
    const mode = request.headers[SESSION_MODE_HEADER];
    if (mode === undefined) return done();
    if (mode !== 'cookie') return done(new AppError('VALIDATION_ERROR', { message: 'X-Session-Mode must be "cookie"' }));
    const from = request.headers.origin;
    // A request without Origin is refused: browsers send it on every POST and DELETE, so only a non-browser omits it.
    if (from === undefined || (from !== ownOrigin(request) && !allowed.has(from))) return done(new AppError('ORIGIN_NOT_ALLOWED'));
    done();
  });

  return {
    wanted,
    refreshToken(request, fromBody) {
      if (fromBody !== undefined || !wanted(request)) return fromBody;
      const value = request.cookies[attributes(request).name];
      return value === undefined || value === '' ? undefined : value;
    },
    deliver(request, reply, answer) {
      if (!wanted(request) || answer.data.refresh_token === undefined) return answer;
      const { name, options } = attributes(request);
      void reply.setCookie(name, answer.data.refresh_token, { ...options, maxAge: answer.data.refresh_expires_in });
      const { refresh_token: _moved, ...data } = answer.data;
      return { ...answer, data };
    },
    clear(request, reply) {
      const { name, options } = attributes(request);
      void reply.clearCookie(name, options);
    },
  };
}
