/**
 * SQL Data Sync agents through @azure/arm-sql (ARM): list a server's agents, read an agent's state and last
 * alive time, regenerate an agent's key.
 *
 * The key only ever leaves this adapter wrapped in a {@link Secret}. Failures leave as RotationError naming
 * the agent, WITHOUT the SDK error as cause and without the response body: a 200 whose body could not be
 * read would otherwise carry the new key in `response.bodyAsText` (and core-client quotes the body in the
 * message of a deserialization error).
 */
import type { SyncAgents } from '../app/ports.js';
import { parseServerId, parseSyncAgentId } from '../domain/armId.js';
import { RotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';
import type { SyncAgentLiveness } from '../domain/handoffState.js';
import { toRotationError } from './toRotationError.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

export class ArmSyncAgents implements SyncAgents {
  readonly #clients: SqlClientFactory;

  constructor(clients: SqlClientFactory) {
    this.#clients = clients;
  }

  async listSyncAgents(serverId: string): Promise<string[]> {
    const s = parseServerId(serverId);
    const ids: string[] = [];
    try {
      for await (const agent of this.#clients
        .forSubscription(s.subscriptionId)
        .syncAgents.listByServer(s.resourceGroup, s.serverName)) {
        if (agent.id !== undefined) ids.push(agent.id);
      }
    } catch (e) {
      throw toRotationError(e, { server: serverId });
    }
    return ids;
  }

  /**
   * The agent's state and last alive time. An agent the service never heard from has no `lastAliveTime`; a
   * missing state reads as `Unknown` (never as Online: the handoff check must not take silence for health).
   */
  async getSyncAgent(syncAgentId: string): Promise<SyncAgentLiveness> {
    const a = parseSyncAgentId(syncAgentId);
    try {
      const agent = await this.#clients
        .forSubscription(a.subscriptionId)
        .syncAgents.get(a.resourceGroup, a.serverName, a.agentName);
      const lastAlive = agent.lastAliveTime;
      return {
        state: typeof agent.state === 'string' && agent.state !== '' ? agent.state : 'Unknown',
        // A never-connected agent may report a zero date (0001-01-01): that is "never", not a time.
        ...(lastAlive instanceof Date && lastAlive.getTime() > 0 ? { lastAliveTime: lastAlive } : {}),
      };
    } catch (e) {
      throw toRotationError(e, { agent: syncAgentId, server: a.serverId });
    }
  }

  /** Regenerates the key: the previous key stops working at once, whatever happens next. */
  async generateKey(syncAgentId: string): Promise<Secret> {
    const a = parseSyncAgentId(syncAgentId);
    const details = { agent: syncAgentId, server: a.serverId };
    let key: string | undefined;
    try {
      const response = await this.#clients
        .forSubscription(a.subscriptionId)
        .syncAgents.generateKey(a.resourceGroup, a.serverName, a.agentName);
      key = response.syncAgentKey;
    } catch (e) {
      throw withoutBody(e, details);
    }
    if (typeof key !== 'string' || key.length === 0) {
      // The key may have been regenerated all the same: retrying (regenerate, then store) is the way out.
      throw new RotationError('UnexpectedResponse', 'retriable', `generateKey for ${syncAgentId} returned no key`, {
        details,
      });
    }
    return new Secret(key);
  }
}

/**
 * A RotationError for a failed generateKey call that cannot hold the key: no cause, and no SDK message when
 * the service answered 2xx (the body then is the key, and a deserialization error quotes it).
 */
function withoutBody(e: unknown, details: { agent: string; server: string }): RotationError {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  const code = (e as { code?: unknown } | null)?.code;
  if ((typeof status === 'number' && status >= 200 && status < 300) || code === 'PARSE_ERROR') {
    return new RotationError(
      'UnexpectedResponse',
      'retriable',
      `generateKey for ${details.agent} answered${typeof status === 'number' ? ` ${status}` : ''} but the response ` +
        'could not be read (body withheld: it holds a key)',
      { details: { ...details, ...(typeof status === 'number' ? { statusCode: status } : {}) } },
    );
  }
  const err = toRotationError(e, details);
  // A RotationError raised inside the pipeline (e.g. a long Retry-After) comes without our identifiers.
  return new RotationError(err.code, err.errorClass, err.message, { details: { ...details, ...err.details } });
}
