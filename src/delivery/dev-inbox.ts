// The development inbox: the console providers also keep the last few codes here, so the sign-in
// page's dev panel can show them to a person trying the flow without a phone. Only ever created
// with APP_DEBUG=true outside production (compose.ts); it lives in memory and is lost on restart.
import type { Channel, OutboundMessage } from '../domain/ports.js';

export interface InboxEntry {
  channel: Channel;
  /** The destination with all but its last four characters hidden. */
  to: string;
  code: string;
  purpose: OutboundMessage['purpose'];
  sentAtMs: number;
}

export interface DevInbox {
  add(channel: Channel, message: OutboundMessage, sentAtMs: number): void;
  /** Newest first. */
  entries(): InboxEntry[];
}

const KEPT = 10;

function masked(to: string): string {
  return to.length <= 4 ? to : `${'•'.repeat(Math.min(8, to.length - 4))}${to.slice(-4)}`;
}

export function createDevInbox(): DevInbox {
  const kept: InboxEntry[] = [];
  return {
    add(channel, message, sentAtMs) {
      // The text is the template's; the code is the one run of exactly codeLength digits in it.
      const code = new RegExp(`(?<![0-9])[0-9]{${message.codeLength}}(?![0-9])`).exec(message.text)?.[0];
      if (code === undefined) return;
      kept.unshift({ channel, to: masked(message.to), code, purpose: message.purpose, sentAtMs });
      kept.splice(KEPT);
    },
    entries: () => [...kept],
  };
}
