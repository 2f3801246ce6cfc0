import type { WorkQueue } from '../../../src/app/ports.js';
import type { WorkItem } from '../../../src/domain/workItem.js';
import { toQueueMessage, type QueueMessage } from '../../../src/app/queueMessage.js';

export interface ScheduledItem {
  readonly item: WorkItem;
  /** When delivery was requested for; undefined means now. */
  readonly at?: Date;
}

/**
 * An in-memory WorkQueue that records every scheduled item and can hand back those that are due.
 * `failNext(error)` makes the next schedule() call throw (a Service Bus outage).
 */
export class FakeWorkQueue implements WorkQueue {
  /** Every item ever scheduled, in order (delivered ones included). */
  readonly scheduled: ScheduledItem[] = [];
  #pending: ScheduledItem[] = [];
  #failures: Error[] = [];

  schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    const failure = this.#failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    for (const item of items) {
      const entry: ScheduledItem = at === undefined ? { item } : { item, at: new Date(at.getTime()) };
      this.scheduled.push(entry);
      this.#pending.push(entry);
    }
    return Promise.resolve();
  }

  /** Makes the next schedule() call reject with `error`. */
  failNext(error: Error = new Error('queue unavailable')): void {
    this.#failures.push(error);
  }

  /** Items not yet taken. */
  get pending(): readonly ScheduledItem[] {
    return this.#pending;
  }

  /** Removes and returns the items due at `now` (all pending items when `now` is omitted), earliest first. */
  takeDue(now?: Date): WorkItem[] {
    const due = this.#pending.filter((e) => now === undefined || e.at === undefined || e.at.getTime() <= now.getTime());
    this.#pending = this.#pending.filter((e) => !due.includes(e));
    return due.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0)).map((e) => e.item);
  }

  /** The earliest scheduled time among pending items, if any. */
  nextDueAt(): Date | undefined {
    const times = this.#pending.map((e) => e.at?.getTime() ?? 0);
    return times.length === 0 ? undefined : new Date(Math.min(...times));
  }

  /** Every scheduled item as the message it would travel as (body, messageId, properties). */
  messages(): QueueMessage[] {
    return this.scheduled.map((e) => toQueueMessage(e.item));
  }
}
