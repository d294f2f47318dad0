// The built-in messages with default settings, for tests that need a real message to send.
import { createMessageCatalogue, type MessageSettings } from '../../src/domain/messages/catalogue.js';
import type { Channel, OutboundMessage, Purpose } from '../../src/domain/ports.js';

export const DEFAULT_MESSAGE_SETTINGS: MessageSettings = {
  defaultLocale: 'en',
  otpLength: 6,
  ttlMinutes: 10,
  smsMaxSegments: 2,
  webotpDomain: undefined,
  androidAppHash: undefined,
};

const { messages } = createMessageCatalogue(DEFAULT_MESSAGE_SETTINGS, []);

/** A message as the domain hands it to a Sender (less `to`): rendered, with its purpose and code length. */
export function otpMessage(input: { channel: Channel; purpose: Purpose; code: string; ttlMinutes: number; locales?: string[] }): Omit<OutboundMessage, 'to'> & { locale: string } {
  return { ...messages.render({ ...input, locales: input.locales ?? [] }), purpose: input.purpose, codeLength: input.code.length };
}
