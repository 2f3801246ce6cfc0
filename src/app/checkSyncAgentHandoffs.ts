/**
 * Follows each sync agent after its key rotation: did the agent's host submit the new key (the agent was alive
 * after the rotation), is it still awaiting pickup, or is it overdue? See src/domain/handoffState.ts.
 *
 * {@link readSyncAgentHandoff} reads one agent (secret properties, never the value; `syncAgents.get`) and is
 * what `sync-agents status` shows. {@link checkSyncAgentHandoffs} runs from a timer: for every overdue handoff
 * whose alarm was not raised yet it records the alarm on the secret version (tag `handoffAlarmAt`), then writes
 * an error line and a `SYNC_AGENT_OUTCOME` line with `handoff: "overdue"`, and notifies, so the alarm fires
 * once per rotation, not on every tick. When the alarm cannot be recorded it is raised all the same (a repeat
 * beats silence) and a warning says it may repeat.
 */
import type { RotationError } from '../domain/errors.js';
import { isRotationError } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import {
  alarmDue,
  describeHandoff,
  handoffState,
  storedRotation,
  HANDOFF_ALARM_TAG,
  DEFAULT_HANDOFF_WINDOW_MS,
  type HandoffState,
  type SyncAgentLiveness,
} from '../domain/handoffState.js';
import type { Metrics } from './metrics.js';
import { mapConcurrent } from './mapConcurrent.js';
import { notifySafely } from './notifySafely.js';
import type { Notifier } from './ports.js';
import type { Clock, StoredSecretInfo } from './ports.js';
import { resolveSyncAgents, type ResolvedSyncAgent } from './resolveSyncAgents.js';
import type { SyncAgentDeps } from './rotateSyncAgentKeys.js';

/** Code of an overdue handoff in outcome lines and notifications. */
export const HANDOFF_OVERDUE_CODE = 'HandoffOverdue';

/** What the handoff use cases need. */
export type HandoffDeps = Pick<SyncAgentDeps, 'syncAgents' | 'secrets' | 'servers' | 'config' | 'logger'> & {
  readonly clock: Clock;
};

/** Where one agent's handoff stands, with the identifiers and times `sync-agents status` shows. */
export interface SyncAgentHandoffStatus {
  readonly agent: string;
  readonly source: 'config' | 'discovery';
  readonly vaultUrl: string;
  readonly secretName: string;
  /** Newest secret version (its id, never its value). */
  readonly secretVersion?: string;
  /** ISO time the key in that version was regenerated. */
  readonly rotatedAt?: string;
  /** ISO time the newest version was last written (value or tags). */
  readonly updatedOn?: string;
  /** `rotationId` tag of the newest version. */
  readonly rotationId?: string;
  /** The agent's state as ARM reports it (`Online`, `Offline`, `NeverConnected`). */
  readonly agentState?: string;
  /** ISO time the service last heard from the agent. */
  readonly lastAliveTime?: string;
  readonly handoff?: HandoffState;
  /** Set when the secret or the agent could not be read. */
  readonly error?: { readonly code: string; readonly reason: string };
}

/** Reads one agent's secret properties and state, and works out its handoff. Never throws. */
export async function readSyncAgentHandoff(
  deps: HandoffDeps,
  agent: ResolvedSyncAgent,
  now: Date,
): Promise<SyncAgentHandoffStatus & { readonly tags?: Readonly<Record<string, string>> }> {
  const base = { agent: agent.id, source: agent.source, vaultUrl: agent.vaultUrl, secretName: agent.secretName };
  let info: StoredSecretInfo | undefined;
  let liveness: SyncAgentLiveness;
  try {
    [info, liveness] = await Promise.all([
      deps.secrets.getSecretInfo(agent.vaultUrl, agent.secretName),
      deps.syncAgents.getSyncAgent(agent.id),
    ]);
  } catch (e) {
    const error = asError(e);
    return { ...base, error: { code: error.code, reason: error.message } };
  }
  const rotation = info === undefined ? undefined : storedRotation(info);
  const handoff = handoffState({
    rotation,
    agent: liveness,
    now,
    windowMs: deps.config.syncAgents.handoffWindowMs ?? DEFAULT_HANDOFF_WINDOW_MS,
  });
  const rotationId = info?.tags['rotationId'];
  return {
    ...base,
    ...(info?.version === undefined ? {} : { secretVersion: info.version }),
    ...(rotation === undefined ? {} : { rotatedAt: rotation.rotatedAt.toISOString() }),
    ...(info?.updatedOn === undefined ? {} : { updatedOn: info.updatedOn.toISOString() }),
    ...(rotationId === undefined ? {} : { rotationId }),
    agentState: liveness.state,
    ...(liveness.lastAliveTime === undefined ? {} : { lastAliveTime: liveness.lastAliveTime.toISOString() }),
    handoff,
    ...(info === undefined ? {} : { tags: info.tags }),
  };
}

/** Result of one periodic check. */
export interface HandoffCheckResult {
  readonly statuses: readonly SyncAgentHandoffStatus[];
  /** Agents whose alarm this check raised. */
  readonly alarms: readonly string[];
  /** Discovery failures (servers or scopes that could not be listed). */
  readonly problems: readonly Outcome[];
}

/**
 * The periodic check (sync-agent timer, reconcile timer): raises the overdue alarm once per rotation. Never
 * throws for an expected failure; an agent that cannot be read is logged and checked again next time.
 */
export async function checkSyncAgentHandoffs(
  deps: HandoffDeps & { readonly notifier: Notifier; readonly metrics: Metrics },
  input: { readonly correlationId: string },
): Promise<HandoffCheckResult> {
  const { agents, outcomes: problems } = await resolveSyncAgents(deps);
  const now = deps.clock.now();
  const statuses = await mapConcurrent(agents, Math.max(1, deps.config.fanOut.concurrency), (a) => readSyncAgentHandoff(deps, a, now));
  const alarms: string[] = [];
  for (const s of statuses) {
    if (s.error !== undefined) {
      deps.logger.warn(`Sync agent ${s.agent}: handoff not checked: ${s.error.code}`, {
        agent: s.agent,
        secretName: s.secretName,
        code: s.error.code,
      });
      continue;
    }
    if (s.handoff === undefined || !alarmDue(s.handoff)) continue;
    await raiseAlarm(deps, s, now, input.correlationId);
    alarms.push(s.agent);
  }
  return { statuses: statuses.map(({ tags: _tags, ...rest }) => rest), alarms, problems };
}

async function raiseAlarm(
  deps: HandoffDeps & { readonly notifier: Notifier; readonly metrics: Metrics },
  s: SyncAgentHandoffStatus & { readonly tags?: Readonly<Record<string, string>> },
  now: Date,
  correlationId: string,
): Promise<void> {
  const props = {
    agent: s.agent,
    vaultUrl: s.vaultUrl,
    secretName: s.secretName,
    secretVersion: s.secretVersion,
    rotatedAt: s.rotatedAt,
    agentState: s.agentState,
    lastAliveTime: s.lastAliveTime,
    handoff: 'overdue',
    correlationId,
  };
  // Recorded first: once the tag is on the version, no later check raises this rotation's alarm again.
  if (s.secretVersion === undefined) {
    deps.logger.warn(`Sync agent ${s.agent}: the handoff alarm cannot be recorded (no secret version): it may repeat`, props);
  } else {
    try {
      await deps.secrets.updateSecretTags(s.vaultUrl, s.secretName, s.secretVersion, {
        ...(s.tags ?? {}),
        [HANDOFF_ALARM_TAG]: now.toISOString(),
      });
    } catch (e) {
      deps.logger.warn(`Sync agent ${s.agent}: the handoff alarm could not be recorded (${asError(e).code}): it may repeat`, props);
    }
  }
  deps.logger.error(
    `Sync agent ${s.agent}: key handoff ${s.handoff === undefined ? 'overdue' : describeHandoff(s.handoff)}: the key ` +
      `rotated at ${s.rotatedAt ?? '?'} was not picked up (agent ${s.agentState ?? '?'}, last alive ${s.lastAliveTime ?? 'never'}); ` +
      `run the submit script on the agent's host`,
    props,
  );
  deps.metrics.syncAgentOutcome({
    agent: s.agent,
    outcome: 'failed',
    success: false,
    code: HANDOFF_OVERDUE_CODE,
    handoff: 'overdue',
    ...(s.secretVersion === undefined ? {} : { secretVersion: s.secretVersion }),
    at: now.toISOString(),
  });
  // The existing sync-agent notification, so every webhook format shows it: the agent failed with HandoffOverdue.
  await notifySafely(
    deps.notifier,
    {
      kind: 'syncAgentRotation',
      at: now.toISOString(),
      correlationId,
      trigger: 'timer',
      agents: [{ agent: s.agent, secretName: s.secretName, outcome: 'failed', code: HANDOFF_OVERDUE_CODE }],
      summary: { rotated: 0, skipped: 0, deferred: 0, failed: 1 },
    },
    deps.logger,
  );
}

function asError(e: unknown): RotationError | { code: string; message: string } {
  if (isRotationError(e)) return e;
  return { code: 'UnexpectedError', message: e instanceof Error ? e.name : 'non-error thrown' };
}
