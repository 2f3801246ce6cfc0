/**
 * The backoff queue on Azure Service Bus. Retries are scheduled messages (`scheduleMessages`), so a wait
 * survives restarts and scale-out; dead work items go to a failure queue with their reason, because the
 * Node.js Service Bus trigger cannot dead-letter a message itself.
 */
import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import type { FailureSink, WorkQueue } from '../app/ports.js';
import { messageIdFor, toQueueMessage, type QueueMessage } from '../app/queueMessage.js';
import type { WorkItem } from '../domain/workItem.js';
import type { Clock } from '../app/ports.js';

/** `withSession`: the work queue is session-enabled (one session per target); the failure queue is not. */
function serviceBusMessage(m: QueueMessage, withSession: boolean): ServiceBusMessage {
  return {
    body: m.body,
    messageId: m.messageId,
    ...(withSession ? { sessionId: m.sessionId } : {}),
    subject: m.subject,
    contentType: m.contentType,
    correlationId: m.correlationId,
    applicationProperties: { ...m.applicationProperties },
  };
}

/** The part of ServiceBusSender this adapter uses (a fake that records calls implements it in tests). */
export type MessageScheduler = Pick<ServiceBusSender, 'scheduleMessages'>;

export class ServiceBusWorkQueue implements WorkQueue {
  readonly #sender: MessageScheduler;
  readonly #clock: Clock;

  constructor(sender: MessageScheduler, clock: Clock) {
    this.#sender = sender;
    this.#clock = clock;
  }

  async schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    if (items.length === 0) return;
    const when = at ?? this.#clock.now();
    const messages = items.map((item) => serviceBusMessage(toQueueMessage(item), true));
    // One call per 100 messages keeps each batch well under the 256 KB (Standard) message-batch limit.
    for (let i = 0; i < messages.length; i += 100) {
      await this.#sender.scheduleMessages(messages.slice(i, i + 100), when);
    }
  }
}

/** Failure queue: the item, plus `deadLetterReason` / `deadLetterErrorDescription` like a real dead-letter. */
export class ServiceBusFailureSink implements FailureSink {
  readonly #sender: MessageScheduler;
  readonly #clock: Clock;

  constructor(sender: MessageScheduler, clock: Clock) {
    this.#sender = sender;
    this.#clock = clock;
  }

  async deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    const m = toQueueMessage(item);
    await this.#sender.scheduleMessages(
      [
        serviceBusMessage({
          ...m,
          messageId: `${messageIdFor(item)}-failed`,
          subject: `${item.kind}.failed`,
          applicationProperties: {
            ...m.applicationProperties,
            deadLetterReason: reason,
            deadLetterErrorDescription: description.slice(0, 1024),
          },
        }, false),
      ],
      this.#clock.now(),
    );
  }
}
