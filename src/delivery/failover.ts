// One Sender per channel over the ordered provider list (SMS_PROVIDER=twilio,webhook): a provider
// that fails or times out is followed by the next with the same message, so the same code; a
// provider whose breaker is open is skipped. The domain still sees one Sender and one signal.
//
// Time: the caller's signal ends the whole send (the domain aborts it after DELIVERY_TIMEOUT_MS).
// Within that budget every attempt but the last gets an equal share of what is left ("twilio,
// webhook" at 10 s: twilio 5 s, webhook the rest), so a hanging first provider still leaves the
// next one time, and the customer never waits longer than DELIVERY_TIMEOUT_MS however long the
// list. A provider that fails fast leaves nearly the whole budget to the next.
import type { Logger } from 'pino';
import type { BreakerRule } from '../config.js';
import type { Channel, Clock, OutboundMessage, Sender } from '../domain/ports.js';
import { createBreaker, type Breaker, type BreakerEvent, type Permit } from './breaker.js';

export interface FailoverOptions {
  channel: Channel;
  /** In the order they are tried. */
  providers: readonly Sender[];
  /** Each provider gets its own breaker with this rule; undefined (PROVIDER_BREAKER=off): none. */
  breaker: BreakerRule | undefined;
  /** DELIVERY_TIMEOUT_MS: the budget the caller's signal enforces, split between attempts. */
  budgetMs: number;
  /** Drives the breakers (open period, failure window). */
  clock: Clock;
  logger: Logger;
}

interface Provider {
  sender: Sender;
  breaker: Breaker | undefined;
}

/** One call of send(): what every attempt in it shares. */
interface Delivery {
  message: OutboundMessage;
  signal: AbortSignal;
  /** performance.now() at which the caller's budget ends (only read when there is a later provider). */
  budgetEndsMs: number;
  /** Why each earlier provider did not deliver. */
  failures: string[];
}

export function createFailoverSender(options: FailoverOptions): Sender {
  const { budgetMs } = options;
  const log = options.logger.child({ channel: options.channel });
  const providers: Provider[] = options.providers.map((sender) => ({
    sender,
    breaker: options.breaker === undefined ? undefined : createBreaker(options.breaker, options.clock),
  }));

  /** How many providers after `index` would be tried now: the attempts the rest of the budget is for. */
  function stillToTry(index: number): number {
    let count = 0;
    for (let later = index + 1; later < providers.length; later++) if (providers[later]!.breaker?.available() ?? true) count++;
    return count;
  }

  function logBreaker(provider: string, event: BreakerEvent | undefined): void {
    const rule = options.breaker;
    if (event === undefined || rule === undefined) return;
    const openSeconds = rule.openMs / 1000;
    if (event === 'opened') log.error({ provider, failures: rule.failures, openSeconds }, 'provider circuit opened: skipped until a trial succeeds');
    if (event === 'reopened') log.warn({ provider, openSeconds }, 'provider circuit trial failed: open again');
    if (event === 'closed') log.info({ provider }, 'provider circuit closed: trial delivered');
  }

  /** One provider's try: undefined when it delivered, else why not (said without the message). */
  async function attempt(index: number, permit: Permit, delivery: Delivery): Promise<string | undefined> {
    const { sender, breaker } = providers[index]!;
    const { message, signal } = delivery;
    const later = stillToTry(index);
    const startedMs = performance.now();
    try {
      // The last candidate runs on the caller's signal, which ends with the budget; an earlier one
      // gets an equal share of what is left, so the ones after it still have time.
      if (later === 0) await sender.send(message, signal);
      else await withDeadline(signal, (delivery.budgetEndsMs - startedMs) / (later + 1), (attemptSignal) => sender.send(message, attemptSignal));
    } catch (error) {
      const timedOut = isTimeout(error);
      const reason = timedOut ? 'timed out' : describe(error);
      const event = breaker?.settle(permit, false);
      const durationMs = Math.round(performance.now() - startedMs);
      log.warn({ provider: sender.name, attempt: index + 1, outcome: timedOut ? 'timed out' : 'failed', reason, durationMs }, 'delivery attempt');
      logBreaker(sender.name, event);
      return reason;
    }
    logBreaker(sender.name, breaker?.settle(permit, true));
    // A plain first-try delivery is the hot path: debug, like the request log line. A delivery
    // that needed failover is worth reading at info.
    const level = delivery.failures.length > 0 ? 'info' : 'debug';
    if (log.isLevelEnabled(level)) {
      log[level]({ provider: sender.name, attempt: index + 1, outcome: 'ok', durationMs: Math.round(performance.now() - startedMs) }, 'delivery attempt');
    }
    return undefined;
  }

  return {
    name: providers.map((provider) => provider.sender.name).join(','),
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      const failures: string[] = [];
      const delivery: Delivery = { message, signal, failures, budgetEndsMs: providers.length > 1 ? performance.now() + budgetMs : 0 };
      for (let index = 0; index < providers.length; index++) {
        // The caller gave up (the whole budget is spent): no later provider is tried.
        if (signal.aborted) break;
        const { sender, breaker } = providers[index]!;
        const permit = breaker === undefined ? 'pass' : breaker.acquire();
        if (permit === undefined) {
          log.info({ provider: sender.name, attempt: index + 1, outcome: 'skipped', reason: 'circuit open' }, 'delivery attempt');
          failures.push(`${sender.name}: skipped (circuit open)`);
          continue;
        }
        const failure = await attempt(index, permit, delivery);
        if (failure === undefined) return;
        failures.push(`${sender.name}: ${failure}`);
      }
      throw new Error(`no provider delivered (${failures.length === 0 ? 'out of time' : failures.join('; ')})`);
    },
    async close(): Promise<void> {
      await Promise.allSettled(providers.map((provider) => provider.sender.close?.()));
    },
  };
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs` or when `outer` aborts, whichever comes
 * first. The timer and the listener go as soon as the work settles (no timer held per request).
 */
async function withDeadline<T>(outer: AbortSignal, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException('delivery timed out', 'TimeoutError')), Math.max(0, timeoutMs));
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onAbort);
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** A provider failure, said without anything the message carried (providers' errors hold status and codes only). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
