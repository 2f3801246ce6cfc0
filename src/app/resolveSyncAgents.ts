/**
 * Which sync agents the configuration backs: the configured ones, and those found on the discovery servers and
 * scopes (with the default vault and a derived secret name). A queued item is resolved here before any write: its
 * agent must be backed, and the vault and secret name always come from the configuration.
 */
import { isWithinScope, parseSyncAgentId, sameArmId } from '../domain/armId.js';
import { RotationError, isRotationError, type ErrorCode } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import { syncAgentSecretName } from '../domain/syncAgentSecretName.js';
import type { SyncAgentWorkItem } from '../domain/workItem.js';
import { mapConcurrent } from './mapConcurrent.js';
import type { SyncAgentDeps } from './rotateSyncAgentKeys.js';

/** One agent to rotate, resolved from configuration or discovery. */
export interface ResolvedSyncAgent {
  readonly id: string;
  readonly vaultUrl: string;
  readonly secretName: string;
  readonly source: 'config' | 'discovery';
  /** Skip the rotation while the agent is offline or never picked up the previous key. */
  readonly requireOnline: boolean;
}

/**
 * The agent a queued item names, as the CURRENT configuration has it: a configured agent, or one listed on a
 * discovery server (or a server inside a discovery scope) when the section has a default vault. The item's
 * vault and secret name must be the configuration's. Throws RotationError: `NotInConfig` (terminal) when the
 * configuration does not back the item, `SecretNameCollision` for a discovered agent whose derived secret
 * belongs to a configured agent, or the listing's own error (a throttled listing is retried).
 */
export async function resolveSyncAgentForItem(
  deps: Pick<SyncAgentDeps, 'syncAgents' | 'config'>,
  item: Pick<SyncAgentWorkItem, 'target' | 'vaultUrl' | 'secretName'>,
): Promise<ResolvedSyncAgent> {
  const config = deps.config.syncAgents;
  const notInConfig = (why: string): RotationError =>
    new RotationError('NotInConfig', 'terminal', `sync agent ${item.target}: ${why}`, { details: { agent: item.target } });
  let agent: ResolvedSyncAgent | undefined;
  const configured = config.agents.find((a) => sameArmId(a.id, item.target));
  if (configured !== undefined) {
    agent = {
      id: configured.id,
      vaultUrl: configured.vaultUrl,
      secretName: configured.secretName,
      source: 'config',
      requireOnline: configured.requireOnline ?? config.requireOnline ?? false,
    };
  } else {
    let parsed: ReturnType<typeof parseSyncAgentId>;
    try {
      parsed = parseSyncAgentId(item.target);
    } catch {
      throw notInConfig('not a sync agent resource id');
    }
    const discovery = config.discovery;
    const serverInScope =
      discovery !== undefined &&
      (discovery.servers.some((s) => sameArmId(s, parsed.serverId)) || discovery.scopes.some((scope) => isWithinScope(parsed.serverId, scope)));
    if (!serverInScope || config.vaultUrl === undefined) throw notInConfig('neither configured nor on a discovery server or scope');
    const listed = await deps.syncAgents.listSyncAgents(parsed.serverId);
    const found = listed.find((id) => sameArmId(id, item.target));
    if (found === undefined) throw notInConfig(`not found on discovery server ${parsed.serverId}`);
    const secretName = syncAgentSecretName(parsed.serverName, parsed.agentName);
    const owner = config.agents.find((a) => sameSecret(a.vaultUrl, a.secretName, config.vaultUrl ?? '', secretName));
    if (owner !== undefined) {
      throw new RotationError(
        'SecretNameCollision',
        'terminal',
        `discovered sync agent ${found} would write secret ${secretName} in ${config.vaultUrl}, as would ${owner.id}`,
        { details: { agent: found } },
      );
    }
    agent = { id: found, vaultUrl: config.vaultUrl, secretName, source: 'discovery', requireOnline: config.requireOnline ?? false };
  }
  if (!sameSecret(item.vaultUrl, item.secretName, agent.vaultUrl, agent.secretName)) {
    throw notInConfig(
      `the item names secret ${item.secretName} in ${item.vaultUrl}, the configuration ${agent.secretName} in ${agent.vaultUrl}`,
    );
  }
  return agent;
}

/**
 * Agents to rotate: the configured ones, then every sync agent found on the discovery servers and scopes.
 * Discovery failures and secret-name collisions among discovered agents become failed outcomes.
 */
export async function resolveSyncAgents(
  deps: Pick<SyncAgentDeps, 'syncAgents' | 'servers' | 'config' | 'logger'>,
): Promise<{ agents: ResolvedSyncAgent[]; outcomes: Outcome[] }> {
  const { logger } = deps;
  const config = deps.config.syncAgents;
  const outcomes: Outcome[] = [];
  const fail = (target: string, code: ErrorCode, reason: string): void => {
    logger.error(`Sync agent discovery: ${reason}`, { target, code });
    outcomes.push({ kind: 'failed', target, code, reason });
  };

  const agents: ResolvedSyncAgent[] = config.agents.map((a) => ({
    id: a.id,
    vaultUrl: a.vaultUrl,
    secretName: a.secretName,
    source: 'config',
    requireOnline: a.requireOnline ?? config.requireOnline ?? false,
  }));
  const discovery = config.discovery;
  if (discovery === undefined || (discovery.servers.length === 0 && discovery.scopes.length === 0)) {
    return { agents, outcomes };
  }

  // Servers: the listed ones plus those in each scope, without duplicates (ARM ids are case-insensitive).
  const servers = new Map<string, string>();
  for (const s of discovery.servers) servers.set(s.toLowerCase(), s);
  for (const scope of discovery.scopes) {
    try {
      for (const s of await deps.servers.listServers(scope)) servers.set(s.toLowerCase(), s);
    } catch (e) {
      const error = syncAgentError(e, scope);
      fail(scope, error.code, `cannot list the servers of scope ${scope}: ${error.message}`);
    }
  }

  const found = await mapConcurrent([...servers.values()], Math.max(1, deps.config.fanOut.concurrency), async (server) => {
    try {
      return await deps.syncAgents.listSyncAgents(server);
    } catch (e) {
      const error = syncAgentError(e, server);
      fail(server, error.code, `cannot list the sync agents of server ${server}: ${error.message}`);
      return [];
    }
  });

  const known = new Set(agents.map((a) => a.id.toLowerCase()));
  const discovered: ResolvedSyncAgent[] = [];
  for (const id of found.flat()) {
    if (known.has(id.toLowerCase())) continue;
    known.add(id.toLowerCase());
    if (config.vaultUrl === undefined) {
      fail(id, 'InvalidConfig', `discovered sync agent ${id} has no vault: set syncAgents.vaultUrl`);
      continue;
    }
    let secretName: string;
    try {
      secretName = derivedSecretName(id);
    } catch (e) {
      const error = syncAgentError(e, id);
      fail(id, error.code, `discovered sync agent ${id} has no valid secret name: ${error.message}`);
      continue;
    }
    discovered.push({ id, vaultUrl: config.vaultUrl, secretName, source: 'discovery', requireOnline: config.requireOnline ?? false });
  }

  // Two agents writing one secret would overwrite each other's key: a discovered agent that collides with
  // any other agent (configured or discovered) is not rotated. Configured ones were checked by loadConfig.
  const bySecret = new Map<string, ResolvedSyncAgent[]>();
  for (const a of [...agents, ...discovered]) {
    const k = `${a.vaultUrl.replace(/\/+$/, '').toLowerCase()}|${a.secretName.toLowerCase()}`;
    bySecret.set(k, [...(bySecret.get(k) ?? []), a]);
  }
  for (const a of discovered) {
    const k = `${a.vaultUrl.replace(/\/+$/, '').toLowerCase()}|${a.secretName.toLowerCase()}`;
    const sharing = bySecret.get(k) ?? [];
    if (sharing.length > 1) {
      const others = sharing.filter((o) => o !== a).map((o) => o.id);
      fail(
        a.id,
        'SecretNameCollision',
        `discovered sync agent ${a.id} would write secret ${a.secretName} in ${a.vaultUrl}, ` +
          `as would ${others.join(', ')}: give the agents distinct secretName values in ROTATION_CONFIG`,
      );
      continue;
    }
    agents.push(a);
  }
  return { agents, outcomes };
}

function derivedSecretName(agentId: string): string {
  const parsed = parseSyncAgentId(agentId);
  return syncAgentSecretName(parsed.serverName, parsed.agentName);
}

/** Same vault (trailing slash and case aside) and same secret name (Key Vault names are case-insensitive). */
function sameSecret(vaultA: string, nameA: string, vaultB: string, nameB: string): boolean {
  const vault = (v: string): string => v.replace(/\/+$/, '').toLowerCase();
  return vault(vaultA) === vault(vaultB) && nameA.toLowerCase() === nameB.toLowerCase();
}


/** Ports throw RotationError; anything else is a bug, reported without its (possibly sensitive) cause. */
export function syncAgentError(e: unknown, target: string): RotationError {
  if (isRotationError(e)) return e;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : 'non-error thrown';
  return new RotationError('UnexpectedError', 'terminal', `Unexpected failure for ${target}: ${message}`);
}
