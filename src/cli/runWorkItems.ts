/**
 * Runs work items in-process with the functions' retry rules: each item goes through the same processor
 * (processServerKeyItem / processSyncAgentItem), whose failures are scheduled on the {@link InProcessWorkQueue}
 * by retryOrDeadLetter with the configured RetryPolicy; this loop then sleeps until the next retry is due and
 * runs it, until every item has a final outcome (rotated, skipped or failed).
 */
import { mapConcurrent } from '../app/mapConcurrent.js';
import type { Clock } from '../app/ports.js';
import type { Outcome } from '../domain/outcome.js';
import type { WorkItem } from '../domain/workItem.js';
import type { InProcessWorkQueue } from './inProcessWorkQueue.js';

/** Where a run stands, for the progress line. */
export interface RunProgress {
  readonly total: number;
  /** Targets with a final outcome. */
  readonly done: number;
  /** Targets waiting for a retry. */
  readonly retrying: number;
  /** Epoch ms of the next retry, when one is pending. */
  readonly nextRetryAt?: number;
}

export interface RunWorkItemsOptions {
  readonly queue: InProcessWorkQueue;
  readonly clock: Clock;
  /** The one in-process wait: resolves after `ms` (tests pass one that moves a fake clock). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly concurrency: number;
  readonly process: (item: WorkItem) => Promise<Outcome>;
  readonly onProgress?: (progress: RunProgress) => void;
}

/**
 * Runs the phases in order (all of phase 1 before phase 2: geo secondaries before primaries), then the retries
 * as they fall due. Returns the last outcome per target, in first-seen order.
 */
export async function runWorkItems(phases: readonly (readonly WorkItem[])[], o: RunWorkItemsOptions): Promise<Outcome[]> {
  const latest = new Map<string, Outcome>();
  for (const phase of phases) for (const item of phase) latest.set(item.target.toLowerCase(), pending(item));
  const total = latest.size;

  const report = (): void => {
    const all = [...latest.values()];
    const retrying = all.filter((x) => x.kind === 'deferred').length;
    const next = o.queue.nextDueAt();
    o.onProgress?.({
      total,
      done: all.filter((x) => x.kind !== 'deferred').length,
      retrying,
      ...(next === undefined ? {} : { nextRetryAt: next }),
    });
  };
  const run = async (items: readonly WorkItem[]): Promise<void> => {
    await mapConcurrent(items, Math.max(1, o.concurrency), async (item) => {
      latest.set(item.target.toLowerCase(), await o.process(item));
      report();
    });
  };

  report();
  for (const phase of phases) await run(phase);
  for (let next = o.queue.nextDueAt(); next !== undefined; next = o.queue.nextDueAt()) {
    const wait = next - o.clock.now().getTime();
    if (wait > 0) {
      report();
      await o.sleep(wait);
    }
    await run(o.queue.takeDue(o.clock.now()));
  }
  return [...latest.values()];
}

function pending(item: WorkItem): Outcome {
  return { kind: 'deferred', target: item.target, code: 'Pending', reason: 'not run yet' };
}
