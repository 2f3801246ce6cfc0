/**
 * What an emulated sync agent reports (`state`, `lastAliveTime`) and how its host reacts to a new key.
 *
 * As in Azure, generateKey invalidates the agent's key at once: a connected agent drops (it stays `Offline`,
 * last alive at the rotation) until its host submits the new key. Each agent's `pickup` says what its host does:
 * `never` (nobody runs the submit script), or `after` N seconds (the script's next run submits the key; from
 * then on the agent is `Online` and alive "now"). Time is the emulator's clock, so tests need no sleeps.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SyncAgentState } from './serverState.js';

/** What the agent's host does with a new key. */
export type SyncAgentPickup = { readonly kind: 'never' } | { readonly kind: 'after'; readonly seconds: number };

/** What `syncAgents.get` reports. */
export interface SyncAgentView {
  readonly state: string;
  /** Epoch ms; undefined when the agent never connected. */
  readonly lastAliveTime?: number;
}

/** Settles a pending pickup that is due by `nowMs`. */
function settle(a: SyncAgentState, nowMs: number): void {
  if (a.pickupAt !== undefined && nowMs >= a.pickupAt) {
    a.submittedGeneration = a.keyGeneration;
    a.lastAliveAt = a.pickupAt;
    a.pickupAt = undefined;
  }
}

/** Whether the agent is connected: its own state is Online and its host submitted the current key. */
export function isConnected(a: SyncAgentState, nowMs: number): boolean {
  settle(a, nowMs);
  return a.state === 'Online' && a.submittedGeneration === a.keyGeneration;
}

/** The agent as the service reports it at `nowMs`. */
export function observeSyncAgent(a: SyncAgentState, nowMs: number): SyncAgentView {
  if (isConnected(a, nowMs)) return { state: 'Online', lastAliveTime: nowMs };
  const state = a.state === 'Online' ? 'Offline' : a.state;
  return a.lastAliveAt === undefined ? { state } : { state, lastAliveTime: a.lastAliveAt };
}

/** Called by generateKey: the agent drops at once; its host picks the key up as its `pickup` says. */
export function keyRegenerated(a: SyncAgentState, nowMs: number): void {
  if (isConnected(a, nowMs)) a.lastAliveAt = nowMs;
  a.pickupAt = a.pickup.kind === 'after' ? nowMs + a.pickup.seconds * 1000 : undefined;
}

/** The host submits the current key now (a test or the demo playing the on-premises script). */
export function submitCurrentKey(a: SyncAgentState, nowMs: number): void {
  a.pickupAt = nowMs;
  settle(a, nowMs);
}

/**
 * A new sync agent key in the service's shape (`{guid}:{base64}:{base64}`); the previous one stops being valid,
 * so the agent drops until its host submits the new one (see above).
 */
export function generateSyncAgentKey(agent: SyncAgentState, nowMs: number = Date.now()): string {
  const key = `${randomUUID()}:${randomBytes(32).toString('base64')}:${randomBytes(48).toString('base64')}`;
  keyRegenerated(agent, nowMs);
  agent.currentKey = key;
  agent.keyGeneration += 1;
  return key;
}
