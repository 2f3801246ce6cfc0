/**
 * `sync-agents status` and `sync-agents rotate [--agent ID] [--force]`.
 *
 * status reads each agent's secret properties (never its value) and the agent resource: the secret version,
 * when its key was rotated and the rotation that did it, the agent's state and last alive time, and the key
 * handoff (awaiting pickup, back online at T, overdue; see src/domain/handoffState.ts). JSON:
 * `{ "command": "sync-agents status", "generatedAt", "agents": AgentStatus[], "problems": [{target, code, reason}],
 * "summary": {agents, ok, missing, expired, error, awaitingPickup, backOnline, overdue}, "retirement"?, "exitCode" }`.
 * Exit 0 = every agent has a secret (not expired) and no handoff is overdue; 2 = an agent has none, an expired
 * one, or an overdue handoff; 1 = a read failed. From 31 March 2027 the output carries SQL Data Sync's
 * retirement warning (`retirement`).
 *
 * rotate runs processSyncAgentItem per agent with the functions' retry rules (retries waited for in-process).
 * `--force` ignores the minimum interval (an agent rotated an hour ago is rotated again). JSON: `{ "command":
 * "sync-agents rotate", "runId", "outcomes": Outcome[], "summary", "retirement"? }`; exit 1 when an agent failed.
 * After SQL Data Sync's retirement every agent is skipped with the reason.
 */
import { readSyncAgentHandoff } from '../../app/checkSyncAgentHandoffs.js';
import { notifySafely } from '../../app/notifySafely.js';
import { syncAgentNotification } from '../../app/rotationNotification.js';
import { resolveSyncAgents, type ResolvedSyncAgent } from '../../app/resolveSyncAgents.js';
import { processSyncAgentItem } from '../../app/rotateSyncAgentKeys.js';
import { syncAgentDeps } from '../../compositionRoot.js';
import { sameArmId } from '../../domain/armId.js';
import { summarize, type Outcome } from '../../domain/outcome.js';
import type { HandoffKind, HandoffState } from '../../domain/handoffState.js';
import { syncRetirement } from '../../domain/syncRetirement.js';
import type { SyncAgentWorkItem } from '../../domain/workItem.js';
import { CliUsageError, EXIT } from '../cliUsageError.js';
import type { CliContext } from '../cliContext.js';
import { ProgressLine } from '../progressLine.js';
import { runWorkItems } from '../runWorkItems.js';
import { renderTable, shortServerName } from '../renderTable.js';
import { outcomeRow } from './rotateCommand.js';

export type AgentSecretStatus = 'ok' | 'missing' | 'expired' | 'error';

/** The handoff of the latest rotation, times as ISO strings. */
export interface AgentHandoffJson {
  readonly state: HandoffKind;
  /** awaitingPickup, overdue: when the handoff is (was) due. */
  readonly overdueAt?: string;
  /** backOnline: when the agent was alive after the rotation. */
  readonly backAt?: string;
  /** overdue: when the alarm was raised for this rotation. */
  readonly alarmRaisedAt?: string;
}

export interface AgentStatus {
  readonly agent: string;
  readonly source: 'config' | 'discovery';
  readonly vaultUrl: string;
  readonly secretName: string;
  /** Id of the newest secret version (never its value). */
  readonly secretVersion?: string;
  /** ISO time the key in the newest version was regenerated (`rotatedAt` tag, else the version's update time). */
  readonly lastRotated?: string;
  readonly ageDays?: number;
  /** `rotationId` tag of the newest secret version. */
  readonly rotationId?: string;
  /** The agent's state as ARM reports it: Online, Offline, NeverConnected. */
  readonly agentState?: string;
  /** ISO time the service last heard from the agent. */
  readonly lastAliveTime?: string;
  readonly handoff?: AgentHandoffJson;
  readonly status: AgentSecretStatus;
  readonly error?: { readonly code: string; readonly reason: string };
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
      const r = await readSyncAgentHandoff(deps, a, now);
      const base = { agent: a.id, source: a.source, vaultUrl: a.vaultUrl, secretName: a.secretName };
      if (r.error !== undefined) return { ...base, status: 'error', error: r.error };
      const ageMs = r.rotatedAt === undefined ? undefined : now.getTime() - Date.parse(r.rotatedAt);
      const expired = expiry !== undefined && r.updatedOn !== undefined && now.getTime() - Date.parse(r.updatedOn) >= expiry;
      return {
        ...base,
        ...(r.secretVersion === undefined ? {} : { secretVersion: r.secretVersion }),
        ...(r.rotatedAt === undefined ? {} : { lastRotated: r.rotatedAt }),
        ...(ageMs === undefined ? {} : { ageDays: Math.round((Math.max(0, ageMs) / DAY_MS) * 10) / 10 }),
        ...(r.rotationId === undefined ? {} : { rotationId: r.rotationId }),
        ...(r.agentState === undefined ? {} : { agentState: r.agentState }),
        ...(r.lastAliveTime === undefined ? {} : { lastAliveTime: r.lastAliveTime }),
        ...(r.handoff === undefined ? {} : { handoff: handoffJson(r.handoff) }),
        status: r.secretVersion === undefined && r.rotatedAt === undefined ? 'missing' : expired ? 'expired' : 'ok',
      };
    }),
  );
  const count = (st: AgentSecretStatus): number => rows.filter((r) => r.status === st).length;
  const handoffs = (k: HandoffKind): number => rows.filter((r) => r.handoff?.state === k).length;
  const summary = {
    agents: rows.length,
    ok: count('ok'),
    missing: count('missing'),
    expired: count('expired'),
    error: count('error') + problems.length,
    awaitingPickup: handoffs('awaitingPickup'),
    backOnline: handoffs('backOnline'),
    overdue: handoffs('overdue'),
  };
  const exitCode =
    summary.error > 0 ? EXIT.error : summary.missing + summary.expired + summary.overdue > 0 ? EXIT.drift : EXIT.ok;
  const retirement = syncRetirement(now);
  const warning = retirement.phase === 'active' ? undefined : retirement.message;

  if (ctx.flags.json) {
    ctx.json({
      command: 'sync-agents status',
      generatedAt: now.toISOString(),
      agents: rows,
      problems: problems.map((p) => ({ target: p.target, code: p.kind === 'failed' ? p.code : p.kind, reason: p.kind === 'rotated' ? p.detail : p.reason })),
      summary,
      ...(retirement.phase === 'active' ? {} : { retirement: { phase: retirement.phase, message: retirement.message } }),
      exitCode,
    });
    return exitCode;
  }
  const table =
    rows.length === 0
      ? 'No sync agent is configured or discovered.\n'
      : renderTable(
          ['AGENT', 'SOURCE', 'VAULT', 'SECRET', 'VERSION', 'ROTATED AT', 'AGE (DAYS)', 'AGENT STATE', 'LAST ALIVE', 'HANDOFF', 'STATUS'],
          rows.map((r) => [
            shortServerName(r.agent),
            r.source,
            r.vaultUrl,
            r.secretName,
            r.secretVersion?.slice(0, 8) ?? '',
            r.lastRotated ?? '',
            r.ageDays === undefined ? '' : String(r.ageDays),
            r.agentState ?? '',
            r.lastAliveTime ?? (r.agentState === undefined ? '' : 'never'),
            r.handoff === undefined ? '' : handoffCell(r.handoff),
            r.error ? `error: ${r.error.code}` : r.status,
          ]),
        );
  const issues = problems.map((p) => `problem: ${outcomeRow(p).slice(1).filter((c) => c !== '').join(': ')}\n`).join('');
  ctx.out(
    `${table}${issues}\n${summary.agents} agent(s): ${summary.ok} ok, ${summary.missing} missing, ${summary.expired} expired, ` +
      `${summary.error} error(s); handoffs: ${summary.backOnline} back online, ${summary.awaitingPickup} awaiting pickup, ${summary.overdue} overdue\n` +
      (warning === undefined ? '' : `warning: ${warning}\n`),
  );
  return exitCode;
}

function handoffJson(h: HandoffState): AgentHandoffJson {
  switch (h.kind) {
    case 'notRotated':
      return { state: h.kind };
    case 'awaitingPickup':
      return { state: h.kind, overdueAt: h.overdueAt.toISOString() };
    case 'backOnline':
      return { state: h.kind, backAt: h.backAt.toISOString() };
    case 'overdue':
      return {
        state: h.kind,
        overdueAt: h.overdueAt.toISOString(),
        ...(h.alarmRaisedAt === undefined ? {} : { alarmRaisedAt: h.alarmRaisedAt.toISOString() }),
      };
  }
}

function handoffCell(h: AgentHandoffJson): string {
  switch (h.state) {
    case 'notRotated':
      return '';
    case 'awaitingPickup':
      return 'awaiting pickup';
    case 'backOnline':
      return `back online at ${h.backAt ?? '?'}`;
    case 'overdue':
      return `OVERDUE since ${h.overdueAt ?? '?'}`;
  }
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

  const retirement = syncRetirement(deps.clock.now());
  if (ctx.flags.json) {
    ctx.json({
      command: 'sync-agents rotate',
      runId: ctx.runId,
      outcomes,
      summary,
      ...(retirement.phase === 'active' ? {} : { retirement: { phase: retirement.phase, message: retirement.message } }),
    });
  } else {
    if (outcomes.length === 0) ctx.out('No sync agent is configured or discovered.\n');
    else {
      const counts = Object.entries(summary)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      ctx.out(`Sync agents: ${counts}\n${renderTable(['AGENT', 'OUTCOME', 'CODE', 'DETAIL'], outcomes.map(outcomeRow), 120)}`);
    }
    if (retirement.phase !== 'active') ctx.out(`warning: ${retirement.message}\n`);
  }
  return summary.failed > 0 ? EXIT.error : EXIT.ok;
}
