// What delivery costs and how it ends, counted in memory: SMS segments per send (the bill) and
// Twilio's delivery receipts by calling code and error code. Logged with stable field names as it
// happens; `snapshot()` is what a metrics endpoint reads.
import type { Logger } from 'pino';
import type { OutboundMessage, Sender } from '../domain/ports.js';

export type ReceiptStatus = 'delivered' | 'undelivered' | 'failed';

export interface Receipt {
  status: ReceiptStatus;
  /** "91" for India; "unknown" when the number could not be read. Never the number itself. */
  callingCode: string;
  /** Twilio's numeric error code for undelivered and failed messages ("30003"), else null. */
  errorCode: string | null;
}

export interface DeliveryCounts {
  smsSent: number;
  smsSegments: number;
  /** SMS sends by their number of segments: { "1": 120, "2": 3 }. */
  smsBySegments: Record<string, number>;
  receipts: Array<Receipt & { count: number }>;
}

export interface DeliveryStats {
  countSms(segments: number): void;
  countReceipt(receipt: Receipt): void;
  snapshot(): DeliveryCounts;
}

export function createDeliveryStats(): DeliveryStats {
  let smsSent = 0;
  let smsSegments = 0;
  const bySegments = new Map<number, number>();
  const receipts = new Map<string, Receipt & { count: number }>();
  return {
    countSms(segments) {
      smsSent += 1;
      smsSegments += segments;
      bySegments.set(segments, (bySegments.get(segments) ?? 0) + 1);
    },
    countReceipt(receipt) {
      const key = `${receipt.status}\n${receipt.callingCode}\n${receipt.errorCode ?? ''}`;
      const entry = receipts.get(key) ?? { ...receipt, count: 0 };
      entry.count += 1;
      receipts.set(key, entry);
    },
    snapshot() {
      return {
        smsSent,
        smsSegments,
        smsBySegments: Object.fromEntries([...bySegments].map(([segments, count]) => [String(segments), count])),
        receipts: [...receipts.values()].map((entry) => ({ ...entry })),
      };
    },
  };
}

/** The SMS sender, counting the segments of every message it delivered. */
export function countingSegments(sender: Sender, stats: DeliveryStats, logger: Logger): Sender {
  const log = logger.child({ provider: sender.name, channel: 'phone' });
  return {
    name: sender.name,
    async send(message: OutboundMessage, signal: AbortSignal): Promise<void> {
      await sender.send(message, signal);
      if (message.segments === undefined) return;
      stats.countSms(message.segments);
      // Stable fields, no number and no text: locale and segments are all the bill needs.
      log.debug({ locale: message.locale, segments: message.segments }, 'SMS sent');
    },
    ...(sender.close === undefined ? {} : { close: () => sender.close!() }),
  };
}
