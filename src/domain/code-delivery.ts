// Getting a code to its owner: the provider call with its timeout, the refund of the identifier's
// limits when it fails, the count for the conversion guard when it succeeds. A silent delivery (a
// test identifier, an enumeration-protection decoy) sends nothing; in the background mode
// (enumeration protection) the answer does not wait for the provider.
import type { Limits, SendTarget, Taken } from './limits.js';
import type { Log, OutboundMessage, Senders } from './ports.js';

export interface Delivery {
  target: SendTarget;
  message: Omit<OutboundMessage, 'to'>;
  silent: boolean;
  taken: Taken;
  /** Stores the code: after a successful send, or (in the background mode) before it starts. */
  save: () => Promise<void>;
}

export function createCodeDelivery(deps: { senders: Senders; limits: Limits; log: Log; deliveryTimeoutMs: number; background: boolean }) {
  const { senders, limits, log } = deps;

  /** Undefined when sent (or nothing was to be sent); otherwise the failure, already refunded and logged. */
  async function send(delivery: Delivery): Promise<unknown> {
    const sender = senders[delivery.target.channel];
    try {
      await withTimeout(deps.deliveryTimeoutMs, (signal) => sender.send({ to: delivery.target.identifier, ...delivery.message }, signal));
    } catch (error) {
      // A failed delivery does not count: the cooldown and the send caps are given back.
      await limits.refund(delivery.taken);
      log.warn({ provider: sender.name, channel: delivery.target.channel, reason: describe(error) }, 'OTP delivery failed');
      return error;
    }
    await limits.afterSent(delivery.target);
    return undefined;
  }

  async function deliver(delivery: Delivery): Promise<unknown> {
    if (delivery.silent) {
      await delivery.save();
      return undefined;
    }
    if (deps.background) {
      await delivery.save();
      send(delivery).catch((error: unknown) => log.warn({ reason: describe(error) }, 'OTP delivery bookkeeping failed'));
      return undefined;
    }
    // Sent before it is stored: a resend whose delivery fails leaves the code the customer
    // already holds working, instead of replacing it with one nobody received.
    const failure = await send(delivery);
    if (failure === undefined) await delivery.save();
    return failure;
  }

  return { deliver };
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs`. Unlike AbortSignal.timeout, the timer is
 * cleared as soon as the work settles, so a busy instance does not hold one live timer (and its
 * signal) per request for the whole timeout.
 */
async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('delivery timed out', 'TimeoutError')), timeoutMs);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** A provider failure, said without anything the message carried. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timed out' : error.message;
  return 'unknown error';
}
