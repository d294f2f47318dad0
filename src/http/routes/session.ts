// The signed-in customer and their sessions, thin: read the bearer token and the body, call one
// domain function, shape the answer.
//   GET /api/v1/auth/me, POST /api/v1/auth/refresh, POST /api/v1/auth/logout,
//   GET /api/v1/auth/sessions, DELETE /api/v1/auth/sessions/:id
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionService } from '../../domain/sessions.js';
import { AppError } from '../../errors.js';
import { customerJson, refreshedJson, sessionsJson } from '../present.js';
import { documented } from '../route-docs.js';
import type { CookieMode } from '../session-cookie.js';
import {
  LogoutBody,
  LogoutEnvelope,
  MeEnvelope,
  RefreshBody,
  SessionEndedEnvelope,
  SessionParams,
  SessionsEnvelope,
  SignedInEnvelope,
  errorResponses,
} from '../schemas.js';

const BEARER = /^Bearer +([A-Za-z0-9_\-.]+)$/i;

function bearerToken(request: FastifyRequest): string {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  if (token === undefined) throw new AppError('UNAUTHORIZED');
  return token;
}

/** The refresh codes after which a cookie holds nothing worth keeping. */
const DEAD_COOKIE = new Set(['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'ACCOUNT_INACTIVE']);

export function registerSessionRoutes(parent: FastifyInstance, sessions: SessionService, cookies: CookieMode): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/v1/auth/me', { schema: documented('/api/v1/auth/me', { response: { 200: MeEnvelope, ...errorResponses } }) }, async (request) => {
    const { customer } = await sessions.authenticate(bearerToken(request));
    return { success: true as const, message: 'Customer profile', data: { customer: customerJson(customer) } };
  });

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: documented('/api/v1/auth/refresh', { body: RefreshBody, response: { 200: SignedInEnvelope, ...errorResponses } }),
      // Cookie mode may send no body at all: the token is in the cookie.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const token = cookies.refreshToken(request, request.body.refresh_token);
      if (token === undefined) {
        if (cookies.wanted(request)) throw new AppError('REFRESH_TOKEN_INVALID', { message: 'No refresh cookie: please sign in.' });
        throw new AppError('VALIDATION_ERROR', { message: 'refresh_token is required (or send X-Session-Mode: cookie with the refresh cookie)' });
      }
      try {
        return cookies.deliver(request, reply, refreshedJson(await sessions.refresh(token)));
      } catch (error) {
        if (cookies.wanted(request) && error instanceof AppError && DEAD_COOKIE.has(error.code)) cookies.clear(request, reply);
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: documented('/api/v1/auth/logout', { body: LogoutBody, response: { 200: LogoutEnvelope, ...errorResponses } }),
      // The body is optional: a bare POST with only the bearer token ends the current session.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const refreshToken = cookies.refreshToken(request, request.body.refresh_token);
      // Cookie mode may log out with the cookie alone: a reloaded page may not hold an access token yet.
      const ended =
        request.headers.authorization === undefined && cookies.wanted(request) && refreshToken !== undefined
          ? await sessions.endByRefreshToken(refreshToken)
          : await sessions.logout(bearerToken(request), { refreshToken, all: request.body.all });
      if (cookies.wanted(request)) cookies.clear(request, reply);
      return { success: true as const, message: 'Logged out', data: { sessions_ended: ended } };
    },
  );

  app.get('/api/v1/auth/sessions', { schema: documented('/api/v1/auth/sessions', { response: { 200: SessionsEnvelope, ...errorResponses } }) }, async (request) => {
    const { sessions: live, currentId } = await sessions.list(bearerToken(request));
    return sessionsJson(live, currentId);
  });

  app.delete(
    '/api/v1/auth/sessions/:id',
    { schema: documented('/api/v1/auth/sessions/:id', { params: SessionParams, response: { 200: SessionEndedEnvelope, ...errorResponses } }) },
    async (request) => {
      await sessions.end(bearerToken(request), request.params.id);
      return { success: true as const, message: 'Session ended', data: { id: request.params.id } };
    },
  );
}
