/**
 * Feeds the Service Bus queue trigger from the embedded durable queue, as the Service Bus extension does with
 * `autoCompleteMessages: true`: a bounded number of messages in flight, complete on success, abandon on throw
 * (redelivery; the queue dead-letters after its max delivery count). Sessions are honoured by the queue: it never
 * hands out a message whose session has one in flight, so one target is handled by one invocation at a time while
 * other targets use the remaining slots; settling a message wakes the pump for the session's next one.
 */
import type { TriggerMetadata } from '@azure/functions';
import type { LocalDurableQueue, ReceivedMessage } from '../queue/localDurableQueue.js';
import type { HostLogSink } from './formatLogRecord.js';

export interface LocalQueuePumpOptions {
  readonly queue: LocalDurableQueue;
  /** Messages processed at once (host.json `maxConcurrentCalls`). */
  readonly concurrency: number;
  /** Longest sleep between looks at the queue when nothing woke the pump. */
  readonly pollIntervalMs: number;
  /** Runs the trigger; a rejection abandons the message. */
  readonly handle: (body: unknown, triggerMetadata: TriggerMetadata) => Promise<void>;
  readonly log: HostLogSink;
}

/** The Service Bus trigger metadata the Functions host provides for a received message. */
export function serviceBusTriggerMetadata(m: ReceivedMessage): TriggerMetadata {
  return {
    messageId: m.messageId,
    ...(m.sessionId === undefined ? {} : { sessionId: m.sessionId }),
    deliveryCount: m.deliveryCount,
    enqueuedTimeUtc: m.enqueuedTimeUtc,
    scheduledEnqueueTimeUtc: m.scheduledEnqueueTimeUtc,
    sequenceNumber: m.sequenceNumber,
    correlationId: m.correlationId,
    subject: m.subject,
    label: m.subject,
    contentType: m.contentType,
    lockToken: m.lockToken,
    applicationProperties: { ...m.applicationProperties },
    userProperties: { ...m.applicationProperties },
  };
}

export class LocalQueuePump {
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: LocalQueuePumpOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.queue.onAvailable(() => this.wake());
    this.wake();
  }

  /** Number of messages being processed now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Stops receiving and waits for the messages in flight to be settled. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    this.ticking = true;
    this.again = false;
    let received = 0;
    try {
      const free = this.options.concurrency - this.inFlight.size;
      if (free > 0) {
        const batch = await this.options.queue.receive(free);
        received = batch.length;
        for (const m of batch) this.track(this.process(m));
      }
    } catch (error) {
      this.options.log({ time: new Date(), level: 'error', category: 'Queue', message: `receive failed: ${String(error)}` });
    } finally {
      this.ticking = false;
    }
    if (!this.running) return;
    if (this.again || (received > 0 && this.inFlight.size < this.options.concurrency)) {
      this.wake();
      return;
    }
    const next = this.options.queue.nextVisibleAt();
    const untilNext = next === undefined ? this.options.pollIntervalMs : next.getTime() - Date.now();
    this.timer = setTimeout(() => void this.tick(), Math.max(0, Math.min(this.options.pollIntervalMs, untilNext)));
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      // A free slot: look for more work now rather than at the next poll.
      this.wake();
    });
  }

  private async process(m: ReceivedMessage): Promise<void> {
    const { queue, log } = this.options;
    let failed = false;
    try {
      await this.options.handle(m.body, serviceBusTriggerMetadata(m));
    } catch {
      failed = true; // the invocation already logged the failure
    }
    try {
      if (!failed) {
        await queue.complete(m);
        return;
      }
      await queue.abandon(m);
      const dead = m.deliveryCount >= queue.maxDeliveryCount;
      log({
        time: new Date(),
        level: dead ? 'error' : 'warning',
        category: 'Queue',
        message: dead
          ? `Message ${m.messageId} dead-lettered: MaxDeliveryCountExceeded after ${m.deliveryCount} deliveries`
          : `Message ${m.messageId} abandoned (delivery ${m.deliveryCount} of ${queue.maxDeliveryCount}); redelivering`,
      });
    } catch (error) {
      // The queue was closed under us (host stopping): the message stays on disk and is redelivered on restart.
      log({ time: new Date(), level: 'warning', category: 'Queue', message: `Message ${m.messageId} not settled: ${String(error)}` });
    }
  }
}
