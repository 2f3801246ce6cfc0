/**
 * What a KeyNewVersionCreated delivery does: check that the key is configured, enqueue one reconcile item per
 * configured target and one discovery item per discovery scope, and return. No Key Vault read, no ARM call:
 * Event Grid waits 30 s for the answer, and the work itself takes minutes at scale. Duplicate deliveries
 * produce the same message ids, which Service Bus duplicate detection absorbs.
 */
import type { AppConfig } from '../config/appConfig.js';
import type { KeyNewVersionCreated } from '../domain/parseKeyVaultEvent.js';
import type { DiscoverWorkItem, ReconcileWorkItem, WorkItem } from '../domain/workItem.js';
import { configuredTargets, geoOrder } from './listTargets.js';
import type { Clock, WorkQueue } from './ports.js';

export interface AcceptDeps {
  readonly config: Pick<AppConfig, 'keys'>;
  readonly queue: WorkQueue;
  readonly clock: Clock;
}

export type AcceptResult =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'accepted'; readonly targets: number; readonly scopes: number };

/** The trigger for one key: which key, which version (a hint), who asked, and whether it is a manual run. */
export interface KeyTrigger {
  /** Versionless key id. */
  readonly key: string;
  readonly versionHint?: string;
  readonly correlationId: string;
  readonly runId?: string;
}

export async function acceptKeyEvent(deps: AcceptDeps, event: KeyNewVersionCreated): Promise<AcceptResult> {
  return enqueueKey(deps, {
    key: event.key.versionlessId,
    ...(event.key.version === undefined ? {} : { versionHint: event.key.version }),
    correlationId: event.eventId,
  });
}

/** Enqueues the work of one key (every configured target, every discovery scope). */
export async function enqueueKey(deps: AcceptDeps, trigger: KeyTrigger): Promise<AcceptResult> {
  const keyTarget = deps.config.keys.get(trigger.key.toLowerCase());
  if (!keyTarget) return { kind: 'ignored', reason: `key ${trigger.key} is not in ROTATION_CONFIG` };
  const items = workItemsForKey(keyTarget.key.versionlessId, geoOrder(configuredTargets(keyTarget)).map((t) => t.id), keyTarget.discovery?.scopes ?? [], trigger, deps.clock.now());
  if (items.length === 0) return { kind: 'ignored', reason: `no server or discovery scope is configured for ${trigger.key}` };
  await deps.queue.schedule(items);
  return { kind: 'accepted', targets: items.filter((i) => i.kind === 'reconcile').length, scopes: items.filter((i) => i.kind === 'discover').length };
}

/** Reconcile items for the targets, discovery items for the scopes: identifiers only. */
export function workItemsForKey(
  key: string,
  targets: readonly string[],
  scopes: readonly string[],
  trigger: KeyTrigger,
  now: Date,
): WorkItem[] {
  const common = {
    key,
    ...(trigger.versionHint === undefined ? {} : { versionHint: trigger.versionHint }),
    ...(trigger.runId === undefined ? {} : { runId: trigger.runId }),
    attempt: 1,
    firstSeen: now.toISOString(),
    correlationId: trigger.correlationId,
  };
  return [
    ...targets.map((target): ReconcileWorkItem => ({ kind: 'reconcile', target, ...common })),
    ...scopes.map((target): DiscoverWorkItem => ({ kind: 'discover', target, ...common })),
  ];
}
