/**
 * The reconcile sweep (timer `reconcileKeys`, the admin endpoint, `sql-key-rotation reconcile`): for every
 * configured key, Key Vault and Managed HSM alike, find the targets that drift (the `status` logic) and enqueue a
 * reconcile item for each. This is what rotates Managed HSM keys (they publish no events), heals events lost
 * after Event Grid's 24 hours, and picks up targets newly added to the config. Critical drift is alerted here too.
 */
import { ACTIONABLE_FINDINGS, driftReport, type DriftReport } from './driftReport.js';
import { workItemsForKey } from './acceptKeyEvent.js';
import { criticalDriftNotification } from './rotationNotification.js';
import { notifySafely } from './notifySafely.js';
import type { Notifier } from './ports.js';
import type { PlanDeps } from './planRotation.js';
import type { WorkQueue } from './ports.js';

export interface ReconcileKeysDeps extends PlanDeps {
  readonly queue: WorkQueue;
  readonly notifier: Notifier;
}

export interface SweepResult {
  readonly report: DriftReport;
  /** Reconcile items enqueued (one per drifting or unreadable target). */
  readonly enqueued: number;
}

/** `runId` makes the items of this sweep distinct from any earlier one (Service Bus duplicate detection). */
export async function reconcileKeys(deps: ReconcileKeysDeps, run: { readonly runId: string }): Promise<SweepResult> {
  const report = await driftReport(deps);
  let enqueued = 0;
  const now = deps.clock.now();
  for (const key of report.keys) {
    if (key.error) {
      deps.logger.error(`Reconcile: key ${key.key} could not be read (${key.error.code}): ${key.error.message}`, {
        key: key.key,
        code: key.error.code,
        runId: run.runId,
      });
      continue;
    }
    // What the reconciler would change, and unreadable targets (the worker retries them on the backoff schedule).
    const targets = key.servers.filter((s) => s.status === 'error' || s.findings.some((f) => ACTIONABLE_FINDINGS.has(f))).map((s) => s.server);
    for (const s of key.servers) {
      if (!s.critical) continue;
      deps.logger.error(
        `CRITICAL: the TDE protector of ${s.server} is on key version ${s.critical.version}, which Azure SQL cannot use (${s.critical.code}). Databases become inaccessible within about 30 minutes.`,
        { server: s.server, key: key.key, code: s.critical.code, critical: true, runId: run.runId },
      );
      await notifySafely(
        deps.notifier,
        criticalDriftNotification({
          target: s.server,
          keyId: `${key.key}/${s.critical.version}`,
          code: s.critical.code,
          reason: s.critical.reason,
          correlationId: run.runId,
          at: now,
        }),
        deps.logger,
      );
    }
    if (targets.length === 0) continue;
    const items = workItemsForKey(key.key, targets, [], { key: key.key, correlationId: run.runId, runId: run.runId }, now);
    await deps.queue.schedule(items);
    enqueued += items.length;
  }
  deps.logger.info(`Reconcile sweep: ${report.summary.servers} target(s), ${report.summary.drift} drifting, ${enqueued} enqueued`, {
    runId: run.runId,
    ...report.summary,
    enqueued,
  });
  return { report, enqueued };
}
