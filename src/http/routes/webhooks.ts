// Callbacks from vendors: thin, like every route. POST /api/v1/webhooks/twilio/status takes
// Twilio's delivery receipts; anything not signed with the account's auth token gets 403.
import type { FastifyInstance } from 'fastify';
import { isValidTwilioSignature, readReceipt } from '../../delivery/twilio-status.js';
import type { Receipt } from '../../delivery/delivery-stats.js';
import { AppError } from '../../errors.js';

export interface TwilioStatusWebhook {
  /** TWILIO_STATUS_CALLBACK_URL: exactly the URL Twilio signs (not rebuilt from Host headers). */
  url: string;
  authToken: string;
  onReceipt(receipt: Receipt, messageSid: string | null): void;
}

export function registerWebhookRoutes(parent: FastifyInstance, twilio: TwilioStatusWebhook): void {
  parent.register(async (app) => {
    // Every body reaches the handler as the raw string, so whatever arrives unsigned gets the same 403.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    const schema = { tags: ['webhooks'], summary: "Twilio's delivery receipt (X-Twilio-Signature checked; 403 WEBHOOK_SIGNATURE_INVALID otherwise)" };
    app.post('/api/v1/webhooks/twilio/status', { schema }, async (request, reply) => {
      const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && typeof request.body === 'string';
      const params = new URLSearchParams(form ? (request.body as string) : '');
      const signature = request.headers['x-twilio-signature'];
      if (!form || typeof signature !== 'string' || !isValidTwilioSignature(twilio.authToken, twilio.url, [...params], signature)) {
        throw new AppError('WEBHOOK_SIGNATURE_INVALID');
      }
      const receipt = readReceipt(params);
      if (receipt !== undefined) twilio.onReceipt(receipt, params.get('MessageSid'));
      return reply.code(204).send();
    });
  });
}
