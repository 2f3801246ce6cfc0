/**
 * `rotate [--key URI] [--version V]` and `reconcile [--key URI]`: converge now, in-process, through the same
 * reconciler as the functions (the authority gate, the desired version, the geo order, the retry rules), with
 * retries waited for in-process (see runWorkItems).
 * - `rotate` converges every target of the selected keys (a manual trigger, a backfill after an outage);
 *   `--version` is a hint, as an event's version is: the newest allowed version wins.
 * - `reconcile` converges only the targets that drift (what the `reconcileKeys` timer enqueues).
 *
 * JSON: `{ "command": "rotate"|"reconcile", "runId", "keys": [{ "key", "version"?, "keyId"?, "error"?,
 * "refused"?, "outcomes": Outcome[], "summary": {rotated, skipped, deferred, failed} }] }`. Exit 0 when every target
 * ended rotated or skipped, 1 when a key could not be read, a newer version was refused, or a target failed.
 */
import { targetKindOf } from '../../domain/armId.js';
import { workItemsForKey } from '../../app/acceptKeyEvent.js';
import { ACTIONABLE_FINDINGS, driftReport } from '../../app/driftReport.js';
import { configuredTargets, geoPhases, listTargets } from '../../app/listTargets.js';
import { sameArmId } from '../../domain/armId.js';
import { RotationError } from '../../domain/errors.js';
import { keyVersionNotification } from '../../app/rotationNotification.js';
import { notifySafely } from '../../app/notifySafely.js';
import { planError, type PlanError } from '../../app/planRotation.js';
import { desiredVersion, type RefusedVersion } from '../../app/desiredVersion.js';
import { planDeps, workItemHandlers } from '../../compositionRoot.js';
import { processWorkItem } from '../../app/processWorkItem.js';
import { summarize, type Outcome, type OutcomeKind } from '../../domain/outcome.js';
import type { WorkItem } from '../../domain/workItem.js';
import { EXIT } from '../cliUsageError.js';
import type { CliContext } from '../cliContext.js';
import { ProgressLine } from '../progressLine.js';
import { runWorkItems } from '../runWorkItems.js';
import { renderTable, shortServerName } from '../renderTable.js';
import { selectKeys, type KeySelection } from './selectKeys.js';

export interface KeyRotationResult {
  readonly key: string;
  /** The desired version the targets converged to. */
  readonly version?: string;
  readonly keyId?: string;
  readonly error?: PlanError;
  /** Newer versions passed over because Azure SQL would refuse them (the run then exits 1). */
  readonly refused?: readonly RefusedVersion[];
  readonly outcomes: readonly Outcome[];
  readonly summary: Readonly<Record<OutcomeKind, number>>;
}

export function rotateCommand(ctx: CliContext, opts: { key?: string; version?: string }): Promise<number> {
  return convergeCommand(ctx, 'rotate', selectKeys(ctx.services().config, opts));
}

export function reconcileCommand(ctx: CliContext, opts: { key?: string }): Promise<number> {
  return convergeCommand(ctx, 'reconcile', selectKeys(ctx.services().config, opts));
}

async function convergeCommand(ctx: CliContext, command: 'rotate' | 'reconcile', selections: readonly KeySelection[]): Promise<number> {
  const s = ctx.services();
  const read = planDeps(s, ctx.logger);
  const handlers = workItemHandlers(s, ctx.logger);
  const notifier = ctx.notifier();
  const results: KeyRotationResult[] = [];

  for (const sel of selections) {
    const versionless = sel.target.key;
    const key = versionless.versionlessId;
    let version: string;
    let refused: readonly RefusedVersion[];
    let targets: string[];
    try {
      ({ version, refused } = await desiredVersion(read.keys, versionless, s.clock.now(), sel.version));
      if (command === 'rotate') {
        targets = (await listTargets(read, sel.target)).map((t) => t.id);
      } else {
        const report = await driftReport(read, [sel.target]);
        const k = report.keys[0];
        if (k?.error) throw new RotationError(k.error.code, 'terminal', k.error.message);
        targets = (k?.servers ?? []).filter((x) => x.status === 'error' || x.findings.some((f) => ACTIONABLE_FINDINGS.has(f))).map((x) => x.server);
      }
    } catch (e) {
      results.push({ key, error: planError(e), outcomes: [], summary: summarize([]) });
      continue;
    }
    const trigger = { key, correlationId: ctx.runId, runId: ctx.runId, ...(sel.version === undefined ? {} : { versionHint: sel.version }) };
    const items = workItemsForKey(key, targets, [], trigger, s.clock.now());
    // Geo secondaries first (a primary would otherwise wait for them on the order schedule).
    // The one geo ordering: the configured geo relations of each item's target decide its phase.
    const geoPrimaryOf = (i: WorkItem) => configuredTargets(sel.target).find((t) => sameArmId(t.id, i.target))?.geoPrimary;
    const phases = geoPhases(
      items.map((i) => {
        const geoPrimary = geoPrimaryOf(i);
        return geoPrimary === undefined ? { item: i } : { item: i, geoPrimary };
      }),
    ).map((phase) => phase.map((p) => p.item));
    const progress = new ProgressLine(ctx.io.stderr, `${versionless.name} ${version.slice(0, 8)}`, !ctx.flags.json);
    const outcomes = await runWorkItems(phases, {
      queue: ctx.queue,
      clock: s.clock,
      sleep: ctx.sleep,
      concurrency: s.config.fanOut.concurrency,
      process: (item: WorkItem) => processWorkItem(handlers, item),
      onProgress: (p) => progress.update(p, s.clock.now().getTime()),
    });
    progress.end();
    results.push({ key, version, keyId: `${key}/${version}`, ...(refused.length > 0 ? { refused } : {}), outcomes, summary: summarize(outcomes) });
    if (outcomes.length > 0) {
      await notifySafely(
        notifier,
        keyVersionNotification({ keyId: `${key}/${version}`, correlationId: ctx.runId, trigger: 'cli', at: s.clock.now(), result: { kind: 'processed', outcomes } }),
        ctx.logger,
      );
    }
  }

  if (ctx.flags.json) ctx.json({ command, runId: ctx.runId, keys: results });
  else ctx.out(results.map((r) => renderResult(r, command)).join('\n') || 'No key is configured in ROTATION_CONFIG.\n');
  const failed = results.some((r) => r.error !== undefined || r.refused !== undefined || r.summary.failed > 0);
  return failed ? EXIT.error : EXIT.ok;
}

function renderResult(r: KeyRotationResult, command: 'rotate' | 'reconcile'): string {
  if (r.error) return `Key ${r.key}\nERROR (${r.error.code}): ${r.error.message}. Nothing was written.\n`;
  const passed = (r.refused ?? []).map((x) => `REFUSED (${x.code}): newer version ${x.version} passed over: ${x.reason}\n`).join('');
  const head = `${passed}Key ${r.key} version ${r.version ?? '?'} (newest allowed)`;
  if (r.outcomes.length === 0) {
    return `${head}\n${command === 'reconcile' ? 'Every target is converged: nothing to do.' : 'No target is configured or discovered for this key.'}\n`;
  }
  const counts = Object.entries(r.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `${head}: ${counts}\n${renderTable(['TARGET', 'KIND', 'OUTCOME', 'CODE', 'DETAIL'], r.outcomes.map((o) => targetRow(o)), 120)}`;
}

/** A table row for an outcome: target, outcome, code, detail. */
export function outcomeRow(o: Outcome): string[] {
  switch (o.kind) {
    case 'rotated':
      return [shortServerName(o.target), o.kind, '', o.detail];
    case 'skipped':
      return [shortServerName(o.target), o.kind, '', o.reason];
    case 'deferred':
    case 'failed':
      return [shortServerName(o.target), o.kind, o.code, o.reason];
  }
}

/** A rotation table row: the outcome row with the kind of target (logical servers today) after the name. */
function targetRow(o: Outcome): string[] {
  const [name = '', ...rest] = outcomeRow(o);
  return [name, targetKindOf(o.target) ?? 'server', ...rest];
}
