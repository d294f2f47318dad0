// Captcha on the routes that send a code (CAPTCHA_PROVIDER=turnstile|hcaptcha), checked in a
// preHandler: after the body is validated, before anything is counted or sent. Both vendors
// document the same siteverify contract: a form-encoded POST of `secret`, `response` (the
// widget's token) and `remoteip`, answered with JSON `{success, "error-codes": [...]}`.
//   https://developers.cloudflare.com/turnstile/get-started/server-side-validation/
//   https://docs.hcaptcha.com/#verify-the-user-response-server-side
// Fails closed: a vendor that is down, slow or answers nonsense gives 503, never a pass.
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { CaptchaProvider } from '../config.js';
import { AppError } from '../errors.js';

export interface CaptchaSettings {
  provider: CaptchaProvider;
  secret: string;
  verifyUrl: string;
  timeoutMs: number;
}

export interface CaptchaGuard {
  /** A Fastify preHandler: throws CAPTCHA_REQUIRED, CAPTCHA_FAILED or CAPTCHA_UNAVAILABLE. */
  check(request: FastifyRequest): Promise<void>;
  close(): Promise<void>;
}

/** A siteverify answer is a small JSON object; anything longer is not one. */
const MAX_ANSWER_BYTES = 16 * 1024;
/** Error codes that mean our own setup is wrong (or the vendor failed), not the visitor's token. */
const OUR_SIDE = new Set(['missing-input-secret', 'invalid-input-secret', 'sitekey-secret-mismatch', 'internal-error']);

export function createCaptchaGuard(settings: CaptchaSettings, logger: Logger): CaptchaGuard {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const log = logger.child({ captcha: settings.provider });

  async function siteverify(token: string, remoteIp: string | undefined): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('captcha check timed out', 'TimeoutError')), settings.timeoutMs);
    try {
      const answer = await request(settings.verifyUrl, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        // remoteip is the client behind our trusted proxies (never the load balancer); left out when unknown.
        body: new URLSearchParams({ secret: settings.secret, response: token, ...(remoteIp === undefined ? {} : { remoteip: remoteIp }) }).toString(),
        signal: controller.signal,
      });
      if (answer.statusCode !== 200) {
        await answer.body.dump();
        throw new Error(`siteverify answered HTTP ${answer.statusCode}`);
      }
      const text = await answer.body.text();
      if (text.length > MAX_ANSWER_BYTES) throw new Error('siteverify answer too long');
      return JSON.parse(text);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async check(incoming) {
      const token = (incoming.body as { captcha_token?: unknown } | undefined)?.captcha_token;
      if (typeof token !== 'string' || token === '') throw new AppError('CAPTCHA_REQUIRED');
      let verdict: unknown;
      try {
        verdict = await siteverify(token, incoming.clientIp);
      } catch (error) {
        log.error({ reason: error instanceof Error ? error.message : 'unknown error' }, 'captcha vendor unavailable');
        throw new AppError('CAPTCHA_UNAVAILABLE', { cause: error });
      }
      if (typeof verdict !== 'object' || verdict === null || typeof (verdict as { success?: unknown }).success !== 'boolean') {
        log.error({}, 'captcha vendor answered without a success field');
        throw new AppError('CAPTCHA_UNAVAILABLE');
      }
      const { success, 'error-codes': errorCodes } = verdict as { success: boolean; 'error-codes'?: unknown };
      if (success) return;
      const codes = Array.isArray(errorCodes) ? errorCodes.filter((code): code is string => typeof code === 'string') : [];
      if (codes.some((code) => OUR_SIDE.has(code))) {
        log.error({ errorCodes: codes }, 'captcha vendor refused our request: check CAPTCHA_SECRET');
        throw new AppError('CAPTCHA_UNAVAILABLE');
      }
      throw new AppError('CAPTCHA_FAILED');
    },
    close: () => agent.close(),
  };
}
