/** How to open the embedded queue, its Service Bus defaults, and what it accepts. */
import type { Clock } from '../../app/ports.js';
import type { QueueMessage } from '../../app/queueMessage.js';

/** Service Bus' default for a queue's MaxDeliveryCount. */
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
/** Service Bus' default duplicate detection history window (10 minutes). */
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * 60_000;
/** Dead-letter reason given when a message was delivered the maximum number of times without completing. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/** A message to enqueue; without `sessionId`, the session is derived from the work item in its body. */
export type OutgoingMessage = Omit<QueueMessage, 'sessionId'> & { readonly sessionId?: string };

export interface LocalDurableQueueOptions {
  /** Directory holding the queue (created when missing). */
  readonly dir: string;
  readonly clock?: Clock;
  readonly maxDeliveryCount?: number;
  readonly duplicateDetectionWindowMs?: number;
  /** Told about files moved to quarantine. Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

/** Dead-letter description of a message delivered the maximum number of times. */
export function maxDeliveriesDescription(count: number): string {
  return `Message was delivered ${count} times without being completed (the handler threw each time).`;
}
