// Builds one sender per channel from config: each provider in the configured order, wrapped in one
// failover Sender (src/delivery/failover.ts). Each constructor checks its own settings, so a
// missing credential stops start-up here rather than on the first customer's request.
import type { Logger } from 'pino';
import type { Config, EmailProvider, SmsProvider } from '../config.js';
import type { Channel, Clock, Sender, Senders } from '../domain/ports.js';
import { createConsoleSender } from './console.js';
import type { DevInbox } from './dev-inbox.js';
import { createFailoverSender } from './failover.js';

/** Only the providers configured are loaded (nodemailer and undici cost memory and start-up time). */
export async function createSenders(config: Config, logger: Logger, clock: Clock, devInbox?: DevInbox): Promise<Senders> {
  const inbox = devInbox === undefined ? undefined : { box: devInbox, clock };
  const phone: Sender[] = [];
  for (const provider of config.smsProviders) phone.push(await createSmsProvider(provider, config, logger, inbox));
  const email: Sender[] = [];
  for (const provider of config.emailProviders) email.push(await createEmailProvider(provider, config, logger, inbox));
  const failover = (channel: Channel, providers: Sender[]): Sender =>
    createFailoverSender({ channel, providers, breaker: config.providerBreaker, budgetMs: config.deliveryTimeoutMs, clock, logger });
  return { phone: failover('phone', phone), email: failover('email', email) };
}

type Inbox = { box: DevInbox; clock: Clock } | undefined;

async function createSmsProvider(provider: SmsProvider, config: Config, logger: Logger, inbox: Inbox): Promise<Sender> {
  switch (provider) {
    case 'twilio':
      return (await import('./sms-twilio.js')).createTwilioSender(config);
    case 'webhook':
      return (await import('./sms-webhook.js')).createWebhookSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'phone', production: config.production, inbox });
  }
}

async function createEmailProvider(provider: EmailProvider, config: Config, logger: Logger, inbox: Inbox): Promise<Sender> {
  switch (provider) {
    case 'smtp':
      return (await import('./email-smtp.js')).createSmtpSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'email', production: config.production, inbox });
  }
}
