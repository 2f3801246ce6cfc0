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

/** One scheduleMessages call carries at most this many messages: well under the 256 KB (Standard) batch limit. */
const SCHEDULE_BATCH = 100;

/** What both queues are: a sender whose messages are scheduled on a clock. */
abstract class ScheduledSender {
  readonly #sender: MessageScheduler;
  readonly #clock: Clock;

  constructor(sender: MessageScheduler, clock: Clock) {
    this.#sender = sender;
    this.#clock = clock;
  }

  /** Schedules the messages at `at` (now when omitted), {@link SCHEDULE_BATCH} to a call. */
  protected async scheduleAt(messages: readonly ServiceBusMessage[], at?: Date): Promise<void> {
    const when = at ?? this.#clock.now();
    for (let i = 0; i < messages.length; i += SCHEDULE_BATCH) {
      await this.#sender.scheduleMessages(messages.slice(i, i + SCHEDULE_BATCH), when);
    }
  }
}

export class ServiceBusWorkQueue extends ScheduledSender implements WorkQueue {
  async schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    if (items.length === 0) return;
    await this.scheduleAt(items.map((item) => serviceBusMessage(toQueueMessage(item), true)), at);
  }
}

/** Failure queue: the item, plus `deadLetterReason` / `deadLetterErrorDescription` like a real dead-letter. */
export class ServiceBusFailureSink extends ScheduledSender implements FailureSink {
  async deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    const m = toQueueMessage(item);
    await this.scheduleAt([
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
    ]);
  }
}
