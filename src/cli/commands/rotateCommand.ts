/**
 * `rotate [--key URI] [--version V]`: runs the plan now (a manual trigger, or a backfill after an outage):
 * the same pre-flight, server resolution, geo order and per-server processing as the functions
 * (processServerKeyItem), the same RetryPolicy, with retries waited for in-process (see runWorkItems).
 *
 * JSON: `{ "command": "rotate", "runId", "keys": [{ "key", "version", "keyId", "refusal"?, "outcomes": Outcome[],
 * "summary": {rotated, skipped, deferred, failed} }] }`. Exit 0 when every server ended rotated or skipped,
 * 1 when a key was refused or a server failed.
 */
import { keyVersionNotification, notifySafely } from '../../app/notifier.js';
import { newestEnabledVersion, orderForRotation, type PlanError } from '../../app/planRotation.js';
import { planWorkItems, preflightRefusal, processServerKeyItem, resolveServers } from '../../app/rotateServerKeys.js';
import { rotateDeps } from '../../compositionRoot.js';
import { parseKeyId } from '../../domain/keyId.js';
import { summarize, type Outcome, type OutcomeKind } from '../../domain/outcome.js';
import { EXIT } from '../cliError.js';
import type { CliContext } from '../cliContext.js';
import { ProgressLine } from '../progressLine.js';
import { runWorkItems } from '../runWorkItems.js';
import { renderTable, shortServerName } from '../table.js';
import { selectKeys } from './selectKeys.js';

export interface KeyRotationResult {
  readonly key: string;
  readonly version: string;
  readonly keyId: string;
  readonly refusal?: PlanError;
  readonly outcomes: readonly Outcome[];
  readonly summary: Readonly<Record<OutcomeKind, number>>;
}

export async function rotateCommand(ctx: CliContext, opts: { key?: string; version?: string }): Promise<number> {
  const s = ctx.services();
  const deps = rotateDeps(s, ctx.logger);
  const notifier = ctx.notifier();
  const results: KeyRotationResult[] = [];

  for (const sel of selectKeys(s.config, opts)) {
    const versionless = sel.target.key;
    const version = sel.version ?? (await newestEnabledVersion(deps.keys, versionless)).version;
    const key = parseKeyId(`${versionless.versionlessId}/${version}`);
    const servers = orderForRotation(await resolveServers(deps, sel.target));
    const now = deps.clock.now();
    const items = planWorkItems(servers, { eventId: ctx.runId, key: { ...key, version } }, now);

    const refusal = await preflightRefusal(deps, key, now);
    if (refusal) {
      results.push({ key: versionless.versionlessId, version, keyId: key.id, refusal: { code: refusal.code, message: refusal.message }, outcomes: [], summary: summarize([]) });
      await notifySafely(
        notifier,
        keyVersionNotification({ keyId: key.id, correlationId: ctx.runId, trigger: 'cli', at: deps.clock.now(), result: { kind: 'refused', code: refusal.code, reason: refusal.message, outcomes: [] } }),
        ctx.logger,
      );
      continue;
    }

    const progress = new ProgressLine(ctx.io.stderr, `${versionless.name} ${version.slice(0, 8)}`, !ctx.flags.json);
    const outcomes = await runWorkItems(
      [items.filter((i) => i.geoPrimary !== undefined), items.filter((i) => i.geoPrimary === undefined)],
      {
        queue: ctx.queue,
        clock: deps.clock,
        sleep: ctx.sleep,
        concurrency: s.config.fanOut.concurrency,
        process: (item) => (item.kind === 'serverKey' ? processServerKeyItem(deps, item) : Promise.reject(new Error('unexpected item'))),
        onProgress: (p) => progress.update(p, deps.clock.now().getTime()),
      },
    );
    progress.end();
    results.push({ key: versionless.versionlessId, version, keyId: key.id, outcomes, summary: summarize(outcomes) });
    await notifySafely(
      notifier,
      keyVersionNotification({ keyId: key.id, correlationId: ctx.runId, trigger: 'cli', at: deps.clock.now(), result: { kind: 'processed', outcomes } }),
      ctx.logger,
    );
  }

  if (ctx.flags.json) ctx.json({ command: 'rotate', runId: ctx.runId, keys: results });
  else ctx.out(results.map(renderResult).join('\n') || 'No key is configured in ROTATION_CONFIG.\n');
  const failed = results.some((r) => r.refusal !== undefined || r.summary.failed > 0);
  return failed ? EXIT.error : EXIT.ok;
}

function renderResult(r: KeyRotationResult): string {
  const head = `Key ${r.key} version ${r.version}`;
  if (r.refusal) return `${head}\nREFUSED (${r.refusal.code}): ${r.refusal.message}. Nothing was written.\n`;
  if (r.outcomes.length === 0) return `${head}\nNo server is configured or discovered for this key.\n`;
  const counts = Object.entries(r.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `${head}: ${counts}\n${renderTable(['SERVER', 'OUTCOME', 'CODE', 'DETAIL'], r.outcomes.map(outcomeRow), 120)}`;
}

/** A table row for an outcome: target, kind, code, detail. */
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
