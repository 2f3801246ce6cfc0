/**
 * The queue worker's use case: one delivered work item, dispatched by kind. Expected failures end as a
 * scheduled retry or a dead-letter (values); a throw means "could not even schedule" and buys redelivery.
 */
import type { Outcome } from '../domain/outcome.js';
import type { DiscoverWorkItem, ReconcileWorkItem, SyncAgentWorkItem, WorkItem } from '../domain/workItem.js';

export interface WorkItemHandlers {
  readonly reconcile: (item: ReconcileWorkItem) => Promise<Outcome>;
  readonly discover: (item: DiscoverWorkItem) => Promise<Outcome>;
  readonly syncAgentKey: (item: SyncAgentWorkItem) => Promise<Outcome>;
}

export async function processWorkItem(handlers: WorkItemHandlers, item: WorkItem): Promise<Outcome> {
  switch (item.kind) {
    case 'reconcile':
      return handlers.reconcile(item);
    case 'discover':
      return handlers.discover(item);
    case 'syncAgentKey':
      return handlers.syncAgentKey(item);
  }
}
