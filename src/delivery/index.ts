// Picks one sender per channel from config. Each constructor checks its own settings, so a
// missing credential stops start-up here rather than on the first customer's request.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Sender, Senders } from '../domain/ports.js';
import { createConsoleSender } from './console.js';

/** Only the providers configured are loaded (nodemailer and undici cost memory and start-up time). */
export async function createSenders(config: Config, logger: Logger): Promise<Senders> {
  return {
    phone: await createSmsSender(config, logger),
    email: await createEmailSender(config, logger),
  };
}

// One provider per channel for now. Failover will turn each of these into a list of senders
// wrapped in one Sender that tries them in order; the Senders shape stays the same.
async function createSmsSender(config: Config, logger: Logger): Promise<Sender> {
  switch (config.smsProvider) {
    case 'twilio':
      return (await import('./sms-twilio.js')).createTwilioSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'phone', production: config.production });
  }
}

async function createEmailSender(config: Config, logger: Logger): Promise<Sender> {
  switch (config.emailProvider) {
    case 'smtp':
      return (await import('./email-smtp.js')).createSmtpSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'email', production: config.production });
  }
}
