/**
 * The CLI's backoff queue and dead-letter store: in memory, for one run of the tool. The functions schedule
 * retries on Service Bus; the CLI has no queue, so it holds scheduled items here and {@link runWorkItems}
 * sleeps until they are due. This (the CLI waiting in-process for a retry) is the only in-process wait in
 * the product: a function never sleeps, it schedules.
 */
import type { FailureSink, WorkQueue } from '../app/ports.js';
import type { WorkItem } from '../domain/workItem.js';

/** A scheduled item: due at `at` (epoch ms). */
export interface PendingItem {
  readonly item: WorkItem;
  readonly at: number;
}

/** A WorkQueue that keeps scheduled items in memory until the CLI takes them. */
export class InProcessWorkQueue implements WorkQueue {
  #pending: PendingItem[] = [];
  /** Items scheduled over the run, for reporting. */
  scheduledCount = 0;

  /** `now` decides the due time of items scheduled without `at`. */
  constructor(private readonly now: () => Date) {}

  schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    const due = (at ?? this.now()).getTime();
    for (const item of items) this.#pending.push({ item, at: due });
    this.scheduledCount += items.length;
    return Promise.resolve();
  }

  get size(): number {
    return this.#pending.length;
  }

  /** Earliest due time (epoch ms), or undefined when nothing is pending. */
  nextDueAt(): number | undefined {
    return this.#pending.length === 0 ? undefined : Math.min(...this.#pending.map((p) => p.at));
  }

  /** Removes and returns the items due at `now`, earliest first. */
  takeDue(now: Date): WorkItem[] {
    const t = now.getTime();
    const due = this.#pending.filter((p) => p.at <= t).sort((a, b) => a.at - b.at);
    this.#pending = this.#pending.filter((p) => p.at > t);
    return due.map((p) => p.item);
  }
}

/** A dead-lettered item with its reason. */
export interface DeadLetter {
  readonly item: WorkItem;
  readonly reason: string;
  readonly description: string;
}

/** A FailureSink that remembers dead-letters for the CLI's final table. */
export class MemoryFailureSink implements FailureSink {
  readonly deadLetters: DeadLetter[] = [];

  deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    this.deadLetters.push({ item, reason, description });
    return Promise.resolve();
  }
}
