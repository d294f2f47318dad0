// What the fake Twilio and the fake SMTP server share: the messages they accepted, the newest one
// per recipient, and reading a code out of a text the way a customer would.

export interface InboxOptions<M> {
  recipients(message: M): string[];
  text(message: M): string;
  /** Oldest messages are dropped past this many (a benchmark sends hundreds of thousands). */
  maxMessages?: number;
  /** Recipients whose newest message is remembered, least recently written dropped first. */
  maxRecipients?: number;
}

export interface Inbox<M> {
  /** Accepted messages, oldest first. Cleared and trimmed in place, so a held reference stays live. */
  readonly messages: M[];
  add(message: M): void;
  latest(to: string): M | undefined;
  latestCode(to: string): string | undefined;
  waitForCode(to: string, timeoutMs: number): Promise<string>;
  clear(): void;
}

// A run of 4 to 10 digits standing alone; "10 minutes" and "24 hours" are durations, not codes.
const CODE_PATTERN = /(?<!\d)\d{4,10}(?!\d)(?!\s*(?:minutes?|hours?)\b)/g;

/** The last run of 4-10 digits in the text that is not a duration. */
export function extractCode(text: string): string | undefined {
  return text.match(CODE_PATTERN)?.at(-1);
}

function key(to: string): string {
  return to.trim().toLowerCase();
}

export function createInbox<M>(options: InboxOptions<M>): Inbox<M> {
  const maxMessages = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const maxRecipients = options.maxRecipients ?? Number.POSITIVE_INFINITY;
  const messages: M[] = [];
  const newest = new Map<string, M>();
  const waiters = new Map<string, Set<() => void>>();

  function latestCode(to: string): string | undefined {
    const message = newest.get(key(to));
    return message === undefined ? undefined : extractCode(options.text(message));
  }

  return {
    messages,
    add(message) {
      messages.push(message);
      // Trimmed in batches so a capped inbox does not shift the whole array on every message.
      if (messages.length > maxMessages) messages.splice(0, messages.length - Math.floor(maxMessages / 2));
      for (const recipient of options.recipients(message)) {
        const recipientKey = key(recipient);
        // Re-inserting moves the key to the end of the Map's order, so the first key is the stalest.
        newest.delete(recipientKey);
        newest.set(recipientKey, message);
        if (newest.size > maxRecipients) {
          const stalest = newest.keys().next().value;
          if (stalest !== undefined) newest.delete(stalest);
        }
        for (const wake of waiters.get(recipientKey) ?? []) wake();
      }
    },
    latest: (to) => newest.get(key(to)),
    latestCode,
    waitForCode(to, timeoutMs) {
      const present = latestCode(to);
      if (present !== undefined) return Promise.resolve(present);
      const recipientKey = key(to);
      return new Promise<string>((resolve, reject) => {
        const pending = waiters.get(recipientKey) ?? new Set<() => void>();
        waiters.set(recipientKey, pending);
        const stop = (): void => {
          clearTimeout(timer);
          pending.delete(wake);
          if (pending.size === 0) waiters.delete(recipientKey);
        };
        const wake = (): void => {
          const code = latestCode(to);
          if (code === undefined) return;
          stop();
          resolve(code);
        };
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`no message with a code reached ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.add(wake);
      });
    },
    clear() {
      messages.length = 0;
      newest.clear();
    },
  };
}
