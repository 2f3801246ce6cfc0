import type { FailureSink } from '../../../src/app/ports.js';
import type { WorkItem } from '../../../src/domain/workItem.js';

export interface DeadLetter {
  readonly item: WorkItem;
  readonly reason: string;
  readonly description: string;
}

/** An in-memory FailureSink that records every dead-lettered item with its reason. */
export class FakeFailureSink implements FailureSink {
  readonly deadLetters: DeadLetter[] = [];

  deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    this.deadLetters.push({ item, reason, description });
    return Promise.resolve();
  }
}
