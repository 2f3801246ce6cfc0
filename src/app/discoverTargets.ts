/**
 * The discovery work item: lists one discovery scope of a configured key and enqueues a reconcile item for each
 * server there whose protector is on the key. The reconcile items re-check all of it (the authority gate) when
 * they run; this item only fans out, so that an Event Grid delivery never waits for a listing.
 */
import { sameArmId } from '../domain/armId.js';
import { RotationError } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import type { DiscoverWorkItem, ReconcileWorkItem } from '../domain/workItem.js';
import { discoverInScope, type ListTargetsDeps } from './listTargets.js';
import type { ReconcileDeps } from './reconcileTarget.js';
import { asRotationError } from './reconcileTarget.js';
import { configuredKey } from './resolveTarget.js';
import { itemLogProperties, retryOrDeadLetter } from './retryOrDeadLetter.js';

export async function discoverTargets(deps: ReconcileDeps & ListTargetsDeps, item: DiscoverWorkItem): Promise<Outcome> {
  try {
    const keyTarget = configuredKey(deps.config, item.key);
    const scope = keyTarget.discovery?.scopes.find((s) => sameArmId(s, item.target));
    if (scope === undefined) {
      throw new RotationError('NotInConfig', 'terminal', `Work item refused: ${item.target} is not a discovery scope of key ${item.key}`);
    }
    const { found, unreadable } = await discoverInScope(deps, keyTarget, scope);
    const now = deps.clock.now().toISOString();
    const items: ReconcileWorkItem[] = found.map((t) => ({
      kind: 'reconcile',
      key: keyTarget.key.versionlessId,
      target: t.id,
      ...(item.versionHint === undefined ? {} : { versionHint: item.versionHint }),
      ...(item.runId === undefined ? {} : { runId: item.runId }),
      attempt: 1,
      firstSeen: now,
      correlationId: item.correlationId,
    }));
    if (items.length > 0) await deps.queue.schedule(items);
    deps.logger.info(`Discovery: ${items.length} server(s) in ${scope} protected by the key; reconcile items enqueued`, {
      ...itemLogProperties(item),
      found: items.length,
      unreadable: unreadable.length,
    });
    // A protector that could not be read: the whole scope is looked at again (enqueued items deduplicate).
    const first = unreadable[0];
    if (first !== undefined) throw asRotationError(first.error, 'discovery');
    return { kind: 'skipped', target: item.target, reason: `discovery enqueued ${items.length} target(s)` };
  } catch (e) {
    return retryOrDeadLetter(deps, item, asRotationError(e, 'discovery'));
  }
}
