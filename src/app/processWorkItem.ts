/**
 * The queue worker's use case: one delivered work item, dispatched by kind. Expected failures end as a
 * scheduled retry or a dead-letter (values); a throw means "could not even schedule" and buys redelivery.
 */
import type { Outcome } from '../domain/outcome.js';
import type { WorkItem } from '../domain/workItem.js';
import { processServerKeyItem, type RotateDeps } from './rotateServerKeys.js';

export interface WorkItemHandlers {
  readonly serverKey: (item: Extract<WorkItem, { kind: 'serverKey' }>) => Promise<Outcome>;
  readonly syncAgentKey: (item: Extract<WorkItem, { kind: 'syncAgentKey' }>) => Promise<Outcome>;
}

export function serverKeyHandler(deps: RotateDeps): WorkItemHandlers['serverKey'] {
  return (item) => processServerKeyItem(deps, item);
}

export async function processWorkItem(handlers: WorkItemHandlers, item: WorkItem): Promise<Outcome> {
  return item.kind === 'serverKey' ? handlers.serverKey(item) : handlers.syncAgentKey(item);
}
