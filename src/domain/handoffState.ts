/**
 * The handoff of a regenerated sync-agent key to the agent's host, as pure logic.
 *
 * Regenerating a Data Sync agent key invalidates the previous one at once, online or offline: from the rotation
 * until the host submits the new key (`SqlDataSyncAgentCommand.exe -action submitagentkey`) the agent cannot
 * connect. The agent resource (`syncAgents.get`) says when the service last heard from the agent
 * (`lastAliveTime`); an agent alive AFTER the rotation must have used the new key. So, per rotation:
 *
 * - `awaitingPickup`: the key is stored, the agent has not been seen alive since, and the window is still open;
 * - `backOnline`: the agent was alive after the rotation (at `backAt`);
 * - `overdue`: not back within the window (default 30 minutes) after the rotation: a sync outage;
 * - `notRotated`: no secret yet, so no handoff to follow.
 *
 * An overdue handoff raises one alarm per rotation: the alarm is recorded on the secret version that holds the
 * key (tag {@link HANDOFF_ALARM_TAG}), so the next check sees it and stays quiet until the next rotation writes
 * a new version.
 */

/** Default time an agent's host has to submit a new key before the handoff is overdue. */
export const DEFAULT_HANDOFF_WINDOW_MS = 30 * 60_000;
/**
 * How much later than the rotation the agent must have been alive to count as back. `rotatedAt` is this host's
 * clock, `lastAliveTime` the service's: a last heartbeat just before the regeneration must not read as a pickup
 * through a skew of a few seconds. An agent that is back keeps refreshing its last alive time, so the margin
 * only delays "back online" by a heartbeat or two, well inside the overdue window.
 */
export const ALIVE_AFTER_ROTATION_MARGIN_MS = 2 * 60_000;

/** Tag on the secret version: ISO time our rotation wrote it (set by the rotation, read by the handoff check). */
export const ROTATED_AT_TAG = 'rotatedAt';
/** Tag on the secret version: ISO time the overdue alarm was raised for this version (once per rotation). */
export const HANDOFF_ALARM_TAG = 'handoffAlarmAt';

/** What the service says about the agent (`syncAgents.get`). */
export interface SyncAgentLiveness {
  /** `Online`, `Offline`, `NeverConnected` (as ARM spells it). */
  readonly state: string;
  /** When the service last heard from the agent, if ever. */
  readonly lastAliveTime?: Date;
}

/** What the vault says about the newest secret version. */
export interface StoredRotation {
  /** Secret version id (Key Vault's 32-hex version). */
  readonly version?: string;
  /** When the key in this version was regenerated: the `rotatedAt` tag, else the version's update time. */
  readonly rotatedAt: Date;
  /** When the overdue alarm was already raised for this version. */
  readonly alarmRaisedAt?: Date;
}

export type HandoffState =
  | { readonly kind: 'notRotated' }
  | { readonly kind: 'awaitingPickup'; readonly rotatedAt: Date; readonly overdueAt: Date }
  | { readonly kind: 'backOnline'; readonly rotatedAt: Date; readonly backAt: Date }
  | {
      readonly kind: 'overdue';
      readonly rotatedAt: Date;
      readonly overdueAt: Date;
      /** Set when the alarm for this rotation was raised already: do not raise it again. */
      readonly alarmRaisedAt?: Date;
    };

export type HandoffKind = HandoffState['kind'];

/** The handoff state of one agent's latest rotation. Pure. */
export function handoffState(input: {
  readonly rotation: StoredRotation | undefined;
  readonly agent: SyncAgentLiveness;
  readonly now: Date;
  readonly windowMs?: number;
}): HandoffState {
  const { rotation, agent, now } = input;
  if (rotation === undefined) return { kind: 'notRotated' };
  const rotatedAt = rotation.rotatedAt;
  // Alive after the rotation: the old key was dead by then, so the agent used the new one.
  if (aliveSince(agent, rotatedAt) && agent.lastAliveTime !== undefined) {
    return { kind: 'backOnline', rotatedAt, backAt: agent.lastAliveTime };
  }
  const overdueAt = new Date(rotatedAt.getTime() + (input.windowMs ?? DEFAULT_HANDOFF_WINDOW_MS));
  if (now.getTime() < overdueAt.getTime()) return { kind: 'awaitingPickup', rotatedAt, overdueAt };
  return {
    kind: 'overdue',
    rotatedAt,
    overdueAt,
    ...(rotation.alarmRaisedAt === undefined ? {} : { alarmRaisedAt: rotation.alarmRaisedAt }),
  };
}

/** True when this check must raise the overdue alarm (overdue, and not raised yet for this rotation). */
export function alarmDue(state: HandoffState): boolean {
  return state.kind === 'overdue' && state.alarmRaisedAt === undefined;
}

/**
 * The rotation recorded on a secret version: `rotatedAt` tag when it parses, else the version's update time
 * (a version written by someone else). Undefined when neither is known.
 */
export function storedRotation(info: {
  readonly version?: string;
  readonly updatedOn?: Date;
  readonly tags: Readonly<Record<string, string>>;
}): StoredRotation | undefined {
  const rotatedAt = parseTime(info.tags[ROTATED_AT_TAG]) ?? info.updatedOn;
  if (rotatedAt === undefined) return undefined;
  const alarmRaisedAt = parseTime(info.tags[HANDOFF_ALARM_TAG]);
  return {
    rotatedAt,
    ...(info.version === undefined ? {} : { version: info.version }),
    ...(alarmRaisedAt === undefined ? {} : { alarmRaisedAt }),
  };
}

/** Why rotating now would only deepen an outage (the `requireOnline` option), or undefined when it would not. */
export function pickupBlocker(agent: SyncAgentLiveness, previous: StoredRotation | undefined): string | undefined {
  if (agent.state.toLowerCase() !== 'online') {
    return `the agent is ${agent.state}${agent.lastAliveTime === undefined ? '' : ` (last alive ${agent.lastAliveTime.toISOString()})`}`;
  }
  if (previous !== undefined && !aliveSince(agent, previous.rotatedAt)) {
    return (
      `the key stored at ${previous.rotatedAt.toISOString()} was not picked up yet (agent last alive ` +
      `${agent.lastAliveTime === undefined ? 'never' : agent.lastAliveTime.toISOString()})`
    );
  }
  return undefined;
}

/** A one-line description of a handoff state, for tables and log lines. */
export function describeHandoff(state: HandoffState): string {
  switch (state.kind) {
    case 'notRotated':
      return 'not rotated';
    case 'awaitingPickup':
      return `awaiting pickup (overdue at ${state.overdueAt.toISOString()})`;
    case 'backOnline':
      return `back online at ${state.backAt.toISOString()}`;
    case 'overdue':
      return `OVERDUE since ${state.overdueAt.toISOString()}${state.alarmRaisedAt === undefined ? '' : ' (alarm raised)'}`;
  }
}

/** Whether the agent was alive after `rotatedAt` (by more than {@link ALIVE_AFTER_ROTATION_MARGIN_MS}). */
export function aliveSince(agent: SyncAgentLiveness, rotatedAt: Date): boolean {
  return agent.lastAliveTime !== undefined && agent.lastAliveTime.getTime() > rotatedAt.getTime() + ALIVE_AFTER_ROTATION_MARGIN_MS;
}

function parseTime(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}
