// The sign-in page (WEB_UI): GET / serves the built page (dist/web, from web/ by `npm run build`)
// with its settings in <meta> tags, and /web/* its script and stylesheet, all under a strict
// Content-Security-Policy: same-origin only, no inline script or style. With APP_DEBUG outside
// production, GET /api/v1/dev/inbox answers the last codes the console providers sent.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** What the dev inbox shows: see src/delivery/dev-inbox.ts. */
export interface DevCodes {
  entries(): { channel: string; to: string; code: string; purpose: string; sentAtMs: number }[];
}

export interface WebSettings {
  defaultCountry: string | undefined;
  otpLength: number;
  resendCooldownSeconds: number;
  devInbox: DevCodes | undefined;
}

/** dist/web, whether this file runs compiled (dist/src/...) or from source under vitest (src/...). */
export function builtPageDirectory(): string {
  const base = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  return existsSync(join(base, 'package.json')) ? join(base, 'dist', 'web') : join(base, 'web');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function registerWebRoutes(app: FastifyInstance, settings: WebSettings, root = builtPageDirectory()): void {
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) throw new Error(`WEB_UI is on but the page is not built (${indexFile} is missing): run npm run build, or set WEB_UI=false`);
  const metas = Object.entries({
    'default-country': settings.defaultCountry ?? '',
    'otp-length': String(settings.otpLength),
    'resend-cooldown-seconds': String(settings.resendCooldownSeconds),
    'dev-inbox': String(settings.devInbox !== undefined),
  })
    .map(([name, value]) => `<meta name="auth:${name}" content="${escapeAttribute(value)}">`)
    .join('\n  ');
  const page = readFileSync(indexFile, 'utf8').replace('<!--settings-->', metas);

  void app.register(fastifyStatic, {
    root,
    prefix: '/web/',
    index: false,
    wildcard: false,
    setHeaders(reply) {
      for (const [name, value] of Object.entries(PAGE_HEADERS)) reply.header(name, value);
    },
  });

  // The page and the dev inbox are not part of the API reference (the page is a client of the API).
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_request, reply: FastifyReply) =>
    reply.headers(PAGE_HEADERS).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page),
  );

  const inbox = settings.devInbox;
  if (inbox !== undefined) {
    app.get('/api/v1/dev/inbox', hidden, async (_request, reply) => {
      const messages = inbox.entries().map(({ sentAtMs, ...entry }) => ({ ...entry, sent_at: new Date(sentAtMs).toISOString() }));
      // Cache-Control: no-store, as on every API answer (hygiene.ts).
      return reply.send({ success: true, message: 'Dev inbox', data: { messages } });
    });
  }
}
