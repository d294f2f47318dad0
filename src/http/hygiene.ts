// Headers every answer carries (helmet's; under /api/ also Cache-Control: no-store), CORS for the
// origins in CORS_ORIGINS (@fastify/cors), and the request id: an incoming X-Request-Id is kept
// when it looks like an id, and always returned.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { RequestContext } from '../observability/logger.js';

/**
 * helmet's default headers, worked out once by running its middleware against a recording response.
 * They do not depend on the request, and @fastify/helmet rebuilt helmet (its CSP directives parsed
 * again) on every request: about 5% of the CPU of a code request.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

export async function registerHygiene(app: FastifyInstance, options: { corsOrigins: string[]; context: RequestContext }): Promise<void> {
  const securityHeaders = helmetHeaders();
  // API answers carry tokens (verify, refresh), a customer's profile (/me) or sessions: no cache,
  // browser or shared, may keep them (RFC 6749 5.1, OAuth 2.1 3.2.3). Everything else (the JWKS,
  // the page's static files) sets its own caching.
  const apiHeaders = { ...securityHeaders, 'cache-control': 'no-store' };
  app.addHook('onRequest', (request, reply, done) => {
    // Swagger UI's pages (docs.ts) and the sign-in page (web.ts) set their own CSP over this one.
    reply.headers(request.url.startsWith('/api/') ? apiHeaders : securityHeaders).header('x-request-id', request.id);
    // Everything after this hook (handler, domain, stores) logs with this request's id.
    options.context.run(request.log, done);
  });
  if (options.corsOrigins.length === 0) return;
  const allowed = new Set(options.corsOrigins);
  await app.register(cors, {
    // An unlisted origin gets no CORS header at all, credentials included.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after'],
  });
}
