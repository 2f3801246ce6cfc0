import { randomBytes } from 'node:crypto';
import type { SyncAgents } from '../../../src/app/ports.js';
import { RotationError } from '../../../src/domain/errors.js';
import { Secret } from '../../../src/domain/secret.js';
import type { SyncAgentLiveness } from '../../../src/domain/handoffState.js';
import { Faults } from './faults.js';

/**
 * In-memory SQL Data Sync agents. Each generateKey replaces the agent's current key (the previous one stops
 * working, as in Azure). `generatedKeys` holds every key ever generated, so tests can assert none leaked.
 * Faults: `listFaults` keyed by server id, `generateFaults` and `getFaults` keyed by agent id. Liveness (what
 * `getSyncAgent` reports) is set per agent with {@link FakeSyncAgents.setLiveness}; default Online, never alive.
 */
export class FakeSyncAgents implements SyncAgents {
  readonly listFaults = new Faults();
  readonly generateFaults = new Faults();
  readonly getFaults = new Faults();
  /** Every key generated, in order (test-only knowledge: production code never sees these as strings). */
  readonly generatedKeys: string[] = [];
  /** Agent ids in the order generateKey was called for them (including failed calls). */
  readonly generateCalls: string[] = [];
  /** Server ids in the order listSyncAgents was called for them (including failed calls). */
  readonly listCalls: string[] = [];
  #agents = new Map<string, { id: string; server: string; key?: string; liveness: SyncAgentLiveness }>();

  /** Adds agents (full ARM ids `.../servers/{s}/syncAgents/{a}`). */
  constructor(agentIds: readonly string[] = []) {
    for (const id of agentIds) this.addAgent(id);
  }

  addAgent(agentId: string): void {
    const server = agentId.replace(/\/syncAgents\/[^/]+$/i, '');
    this.#agents.set(agentId.toLowerCase(), { id: agentId, server, liveness: { state: 'Online' } });
  }

  /** What getSyncAgent reports for the agent from now on. */
  setLiveness(agentId: string, liveness: SyncAgentLiveness): void {
    const agent = this.#agents.get(agentId.toLowerCase());
    if (agent === undefined) throw new Error(`unknown agent ${agentId}`);
    agent.liveness = liveness;
  }

  getSyncAgent(syncAgentId: string): Promise<SyncAgentLiveness> {
    const fault = this.getFaults.take(syncAgentId);
    if (fault !== undefined) return Promise.reject(fault);
    const agent = this.#agents.get(syncAgentId.toLowerCase());
    if (agent === undefined) return Promise.reject(notFound(syncAgentId));
    return Promise.resolve(agent.liveness);
  }

  /** The agent's current key, as the agent's host would need it. */
  currentKey(agentId: string): string | undefined {
    return this.#agents.get(agentId.toLowerCase())?.key;
  }

  listSyncAgents(serverId: string): Promise<string[]> {
    this.listCalls.push(serverId);
    const fault = this.listFaults.take(serverId);
    if (fault !== undefined) return Promise.reject(fault);
    const ids = [...this.#agents.values()].filter((a) => a.server.toLowerCase() === serverId.toLowerCase()).map((a) => a.id);
    return Promise.resolve(ids);
  }

  generateKey(syncAgentId: string): Promise<Secret> {
    this.generateCalls.push(syncAgentId);
    const fault = this.generateFaults.take(syncAgentId);
    if (fault !== undefined) return Promise.reject(fault);
    const agent = this.#agents.get(syncAgentId.toLowerCase());
    if (agent === undefined) return Promise.reject(notFound(syncAgentId));
    // Shaped like a real agent key: opaque base64, long enough to never occur by accident in other text.
    const key = randomBytes(48).toString('base64');
    agent.key = key;
    this.generatedKeys.push(key);
    return Promise.resolve(new Secret(key));
  }
}

/** ARM's answer for an agent that does not exist: a terminal 404 naming it. */
function notFound(syncAgentId: string): RotationError {
  return new RotationError('ResourceNotFound', 'terminal', `Sync agent ${syncAgentId} not found`, { details: { agent: syncAgentId, statusCode: 404 } });
}
