// The API reference, generated from the route schemas (@fastify/swagger): GET /openapi.json
// (OpenAPI 3.1) and GET /docs (Swagger UI). `npm run openapi` writes the same document to openapi.json.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface ApiDocsOptions {
  /** Serve /openapi.json and /docs (API_DOCS: on in development, off in production unless set). */
  serve: boolean;
  version: string;
}

const DESCRIPTION = [
  'Passwordless sign-in with a one-time code sent by SMS or email; a verified code answers a JWT.',
  'Every answer is the envelope `{success, message, data}`; an error is `{success: false, message, code}`:',
  'clients branch on `code` (listed for each status of each route), never on `message`.',
  'Every answer carries `X-Request-Id`.',
].join(' ');

export interface RegisteredRoute {
  method: string;
  url: string;
}

const routesOf = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route the app serves (HEAD twins and the reference's own pages left out): each must be documented. */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return routesOf.get(app) ?? [];
}

/** Registered before any route, so every route is collected. */
export async function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions): Promise<void> {
  const routes: RegisteredRoute[] = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of [route.method].flat()) if (method !== 'HEAD' && !hidden) routes.push({ method, url: route.url });
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'customer-auth', description: DESCRIPTION, version: options.version },
      tags: [
        { name: 'login-api-v2', description: 'Phone or email: login-api-v2-otp.md (2026-01-30)' },
        { name: 'SAL-27 (phone only)', description: 'Phone only: SAL-27-customer-sms-otp.md (2026-01-03)' },
        { name: 'session', description: 'The signed-in customer' },
        { name: 'operations', description: 'Liveness, readiness and metrics for the people who run the service' },
      ],
    },
  });
  if (!options.serve) return;
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Swagger UI's pages need their own inline script and style: its plugin sets that policy on them.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
