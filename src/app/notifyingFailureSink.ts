import type { WorkItem } from '../domain/workItem.js';
import { notifySafely } from './notifySafely.js';
import type { Clock, FailureSink, Logger, Notifier } from './ports.js';
import { deadLetterNotification } from './rotationNotification.js';

/**
 * A FailureSink that dead-letters through `inner`, then notifies (every dead-letter is notified, whichever use
 * case produced it). When `inner` throws, nothing is notified and the error propagates (the item was not
 * dead-lettered; the trigger redelivers).
 */
export class NotifyingFailureSink implements FailureSink {
  readonly #inner: FailureSink;
  readonly #notifier: Notifier;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(inner: FailureSink, notifier: Notifier, clock: Clock, logger: Logger) {
    this.#inner = inner;
    this.#notifier = notifier;
    this.#clock = clock;
    this.#logger = logger;
  }

  async deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    await this.#inner.deadLetter(item, reason, description);
    await notifySafely(this.#notifier, deadLetterNotification(item, reason, description, this.#clock.now()), this.#logger);
  }
}
