// Delivery to the log instead of a provider, for development. SMS and email differ only by the
// channel named in the log line, so one constructor serves both (SMS_PROVIDER / EMAIL_PROVIDER=console).
import type { Logger } from 'pino';
import type { Channel, Clock, OutboundMessage, Sender } from '../domain/ports.js';
import type { DevInbox } from './dev-inbox.js';

export interface ConsoleSenderOptions {
  channel: Channel;
  /** In production (only with ALLOW_CONSOLE_DELIVERY) the text is never logged: it holds a live code. */
  production: boolean;
  /** APP_DEBUG outside production: the sign-in page's dev panel shows the codes kept here. */
  inbox?: { box: DevInbox; clock: Clock } | undefined;
}

export function createConsoleSender(logger: Logger, options: ConsoleSenderOptions): Sender {
  const log = logger.child({ provider: 'console', channel: options.channel });
  return {
    name: 'console',
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      if (options.production) {
        log.info({ to: message.to }, 'message delivered to console (text withheld in production)');
        return;
      }
      // The one place a code may reach a log: a developer without a provider reads it here.
      log.warn({ to: message.to, subject: message.subject, text: message.text }, 'message delivered to console');
      options.inbox?.box.add(options.channel, message, options.inbox.clock.now());
    },
  };
}
