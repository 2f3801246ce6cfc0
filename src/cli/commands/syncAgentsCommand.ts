/**
 * `sync-agents status` and `sync-agents rotate [--agent ID] [--force]`.
 *
 * status reads each agent's secret properties (never its value): when it was last written, its age, and the
 * rotation that wrote it. JSON: `{ "command": "sync-agents status", "generatedAt", "agents": AgentStatus[],
 * "problems": [{target, code, reason}], "summary": {agents, ok, missing, expired, error}, "exitCode" }`.
 * Exit 0 = every agent has a secret (not expired), 2 = an agent has none or an expired one, 1 = a read failed.
 *
 * rotate runs processSyncAgentItem per agent with the functions' retry rules (retries waited for in-process).
 * `--force` ignores the minimum interval (an agent rotated an hour ago is rotated again). JSON: `{ "command":
 * "sync-agents rotate", "runId", "outcomes": Outcome[], "summary" }`; exit 1 when an agent failed.
 */
import { notifySafely, syncAgentNotification } from '../../app/notifier.js';
import { planError, type PlanError } from '../../app/planRotation.js';
import { processSyncAgentItem, resolveSyncAgents, type ResolvedSyncAgent } from '../../app/rotateSyncAgentKeys.js';
import { syncAgentDeps } from '../../compositionRoot.js';
import { sameArmId } from '../../domain/armId.js';
import { summarize, type Outcome } from '../../domain/outcome.js';
import type { SyncAgentWorkItem } from '../../domain/workItem.js';
import { CliUsageError, EXIT } from '../cliError.js';
import type { CliContext } from '../cliContext.js';
import { ProgressLine } from '../progressLine.js';
import { runWorkItems } from '../runWorkItems.js';
import { renderTable, shortServerName } from '../table.js';
import { outcomeRow } from './rotateCommand.js';

export type AgentSecretStatus = 'ok' | 'missing' | 'expired' | 'error';

export interface AgentStatus {
  readonly agent: string;
  readonly source: 'config' | 'discovery';
  readonly vaultUrl: string;
  readonly secretName: string;
  /** ISO time the secret was last written. */
  readonly lastRotated?: string;
  readonly ageDays?: number;
  /** `rotationId` tag of the newest secret version. */
  readonly rotationId?: string;
  readonly status: AgentSecretStatus;
  readonly error?: PlanError;
}

const DAY_MS = 86_400_000;

export async function syncAgentsStatusCommand(ctx: CliContext): Promise<number> {
  const s = ctx.services();
  const deps = syncAgentDeps(s, ctx.logger);
  const { agents, outcomes: problems } = await resolveSyncAgents(deps);
  const now = s.clock.now();
  const expiry = s.config.syncAgents.secretExpiryMs;
  const rows = await Promise.all(
    agents.map(async (a): Promise<AgentStatus> => {
      const base = { agent: a.id, source: a.source, vaultUrl: a.vaultUrl, secretName: a.secretName };
      try {
        const info = await s.secrets.getSecretInfo(a.vaultUrl, a.secretName);
        if (!info) return { ...base, status: 'missing' };
        const rotationId = info.tags['rotationId'];
        if (!info.updatedOn) return { ...base, ...(rotationId ? { rotationId } : {}), status: 'ok' };
        const ageMs = now.getTime() - info.updatedOn.getTime();
        return {
          ...base,
          lastRotated: info.updatedOn.toISOString(),
          ageDays: Math.round((ageMs / DAY_MS) * 10) / 10,
          ...(rotationId ? { rotationId } : {}),
          status: expiry !== undefined && ageMs >= expiry ? 'expired' : 'ok',
        };
      } catch (e) {
        return { ...base, status: 'error', error: planError(e) };
      }
    }),
  );
  const count = (st: AgentSecretStatus): number => rows.filter((r) => r.status === st).length;
  const summary = { agents: rows.length, ok: count('ok'), missing: count('missing'), expired: count('expired'), error: count('error') + problems.length };
  const exitCode = summary.error > 0 ? EXIT.error : summary.missing + summary.expired > 0 ? EXIT.drift : EXIT.ok;

  if (ctx.flags.json) {
    ctx.json({
      command: 'sync-agents status',
      generatedAt: now.toISOString(),
      agents: rows,
      problems: problems.map((p) => ({ target: p.target, code: p.kind === 'failed' ? p.code : p.kind, reason: p.kind === 'rotated' ? p.detail : p.reason })),
      summary,
      exitCode,
    });
    return exitCode;
  }
  const table =
    rows.length === 0
      ? 'No sync agent is configured or discovered.\n'
      : renderTable(
          ['AGENT', 'SOURCE', 'VAULT', 'SECRET', 'LAST ROTATED', 'AGE (DAYS)', 'STATUS'],
          rows.map((r) => [
            shortServerName(r.agent),
            r.source,
            r.vaultUrl,
            r.secretName,
            r.lastRotated ?? '',
            r.ageDays === undefined ? '' : String(r.ageDays),
            r.error ? `error: ${r.error.code}` : r.status,
          ]),
        );
  const issues = problems.map((p) => `problem: ${outcomeRow(p).slice(1).filter((c) => c !== '').join(': ')}\n`).join('');
  ctx.out(`${table}${issues}\n${summary.agents} agent(s): ${summary.ok} ok, ${summary.missing} missing, ${summary.expired} expired, ${summary.error} error(s)\n`);
  return exitCode;
}

export async function syncAgentsRotateCommand(ctx: CliContext, opts: { agent?: string; force?: boolean }): Promise<number> {
  const s = ctx.services();
  const base = syncAgentDeps(s, ctx.logger);
  const deps = opts.force ? { ...base, config: { ...base.config, syncAgents: { ...base.config.syncAgents, minIntervalMs: 0 } } } : base;
  const resolved = await resolveSyncAgents(deps);
  let agents: ResolvedSyncAgent[] = resolved.agents;
  let problems: Outcome[] = resolved.outcomes;
  if (opts.agent !== undefined) {
    const wanted = opts.agent;
    agents = agents.filter((a) => sameArmId(a.id, wanted));
    problems = problems.filter((p) => sameArmId(p.target, wanted));
    if (agents.length === 0 && problems.length === 0) {
      throw new CliUsageError(`sync agent ${wanted} is neither configured nor discovered (see \`sync-agents status\`)`);
    }
  }

  const now = deps.clock.now();
  const items: SyncAgentWorkItem[] = agents.map((a) => ({
    kind: 'syncAgentKey',
    target: a.id,
    vaultUrl: a.vaultUrl,
    secretName: a.secretName,
    rotationId: ctx.runId,
    attempt: 1,
    firstSeen: now.toISOString(),
    correlationId: ctx.runId,
  }));
  const progress = new ProgressLine(ctx.io.stderr, 'sync agents', !ctx.flags.json);
  const ran = await runWorkItems([items], {
    queue: ctx.queue,
    clock: deps.clock,
    sleep: ctx.sleep,
    concurrency: s.config.fanOut.concurrency,
    process: (item) => (item.kind === 'syncAgentKey' ? processSyncAgentItem(deps, item) : Promise.reject(new Error('unexpected item'))),
    onProgress: (p) => progress.update(p, deps.clock.now().getTime()),
  });
  progress.end();
  const outcomes = [...problems, ...ran];
  const summary = summarize(outcomes);

  const secretNames = new Map(agents.map((a) => [a.id.toLowerCase(), a.secretName]));
  if (outcomes.length > 0) {
    await notifySafely(
      ctx.notifier(),
      syncAgentNotification({ correlationId: ctx.runId, trigger: 'cli', outcomes, secretNames }, deps.clock.now()),
      ctx.logger,
    );
  }

  if (ctx.flags.json) ctx.json({ command: 'sync-agents rotate', runId: ctx.runId, outcomes, summary });
  else if (outcomes.length === 0) ctx.out('No sync agent is configured or discovered.\n');
  else {
    const counts = Object.entries(summary)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    ctx.out(`Sync agents: ${counts}\n${renderTable(['AGENT', 'OUTCOME', 'CODE', 'DETAIL'], outcomes.map(outcomeRow), 120)}`);
  }
  return summary.failed > 0 ? EXIT.error : EXIT.ok;
}
