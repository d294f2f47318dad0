// Picks one sender per channel from config. Each constructor checks its own settings, so a
// missing credential stops start-up here rather than on the first customer's request.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Sender, Senders } from '../domain/ports.js';
import { createConsoleSender } from './console.js';
import { createSmtpSender } from './email-smtp.js';
import { createTwilioSender } from './sms-twilio.js';

export function createSenders(config: Config, logger: Logger): Senders {
  return {
    phone: createSmsSender(config, logger),
    email: createEmailSender(config, logger),
  };
}

// One provider per channel for now. Failover will turn each of these into a list of senders
// wrapped in one Sender that tries them in order; the Senders shape stays the same.
function createSmsSender(config: Config, logger: Logger): Sender {
  switch (config.smsProvider) {
    case 'twilio':
      return createTwilioSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'phone', production: config.production });
  }
}

function createEmailSender(config: Config, logger: Logger): Sender {
  switch (config.emailProvider) {
    case 'smtp':
      return createSmtpSender(config);
    case 'console':
      return createConsoleSender(logger, { channel: 'email', production: config.production });
  }
}
