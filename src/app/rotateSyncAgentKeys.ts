/**
 * Scheduled rotation of SQL Data Sync agent keys into Key Vault secrets.
 *
 * Regenerating an agent key invalidates the previous one at once, so a key that was generated but not stored
 * is an outage for the agent's host. Hence the order and the care in each step:
 *
 * 1. idempotency first: a secret written less than `minIntervalMs` ago means the agent was rotated recently
 *    (timer catch-up, `runOnStartup`, a manual re-run, or a retry whose write did land): skip, and say so;
 * 2. `generateKey`, then at once `setSecret` (the adapter's in-process SDK retries are short);
 * 3. if the secret still cannot be written, the WHOLE step is retried through the backoff queue (regenerate,
 *    then store): the queued item carries identifiers only, never the key.
 *
 * A queued item is a request, not an authority: before any write, its agent is resolved against the CURRENT
 * configuration (a configured agent, or one found on the discovery servers and scopes), and the vault and
 * secret name come from there. An item the configuration does not back is dead-lettered as `NotInConfig`.
 *
 * With `requireOnline` (per agent, or the section's default), an agent that is not Online, or was not alive
 * since the previous rotation (its host never submitted that key), is skipped: rotating it again would only
 * deepen its outage. After SQL Data Sync's retirement (see syncAgentRetirement.ts) nothing is rotated.
 *
 * One agent failing never stops the others: every agent ends in an {@link Outcome}.
 */
import { parseSyncAgentId, sameArmId } from '../domain/armId.js';
import { RotationError, isRotationError, type ErrorCode } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import type { Secret } from '../domain/secret.js';
import { pickupBlocker, storedRotation, ROTATED_AT_TAG } from '../domain/syncAgentHandoff.js';
import { syncRetirement, type SyncRetirement } from '../domain/syncAgentRetirement.js';
import { syncAgentSecretName } from '../domain/syncAgentSecretName.js';
import type { SyncAgentWorkItem } from '../domain/workItem.js';
import type { AppConfig } from '../config/appConfig.js';
import { mapConcurrent } from './mapConcurrent.js';
import type { SecretStore, ServerDirectory, SyncAgents } from './ports.js';
import { retryOrDeadLetter, type RetryDeps } from './retryOrDeadLetter.js';

/**
 * Content type of the stored secret. The value is the agent key exactly as `SqlDataSyncAgentCommand.exe
 * -action submitagentkey -agentkey` takes it, so plain text; what it is for is said by the `purpose` tag.
 */
export const SYNC_AGENT_KEY_CONTENT_TYPE = 'text/plain';
/** Value of the `purpose` tag on every secret this product writes for a sync agent. */
export const SYNC_AGENT_KEY_PURPOSE = 'sqldatasync-agentkey';
/** Key Vault refuses tag values longer than this. */
const MAX_TAG_VALUE_LENGTH = 256;

/**
 * What the sync-agent use cases need: the ports, the retry deps, and the configuration (`syncAgents` for the
 * agents and intervals, `fanOut.concurrency` for how many agents are processed at once).
 */
export interface SyncAgentDeps extends RetryDeps {
  readonly syncAgents: SyncAgents;
  readonly secrets: SecretStore;
  /** Lists the servers of discovery scopes. */
  readonly servers: ServerDirectory;
  readonly config: Pick<AppConfig, 'syncAgents' | 'fanOut'>;
}

export interface RotateSyncAgentKeysInput {
  /** Identifies this run: the correlation id of every item, and the `rotationId` tag of every secret. */
  readonly rotationId: string;
  readonly now: Date;
}

/** One agent to rotate, resolved from configuration or discovery. */
export interface ResolvedSyncAgent {
  readonly id: string;
  readonly vaultUrl: string;
  readonly secretName: string;
  readonly source: 'config' | 'discovery';
  /** Skip the rotation while the agent is offline or never picked up the previous key. */
  readonly requireOnline: boolean;
}

/** What a run did, and where SQL Data Sync's retirement stands (a warning or a refusal to carry along). */
export interface SyncAgentRunResult {
  readonly outcomes: Outcome[];
  readonly retirement: SyncRetirement;
}

/**
 * Rotates every configured and discovered sync agent. Never throws for an expected failure: discovery errors,
 * secret-name collisions and per-agent failures all become outcomes (and error log lines). After SQL Data
 * Sync's retirement it rotates nothing and says why (`retirement.phase === 'retired'`).
 */
export async function rotateSyncAgentKeys(deps: SyncAgentDeps, input: RotateSyncAgentKeysInput): Promise<SyncAgentRunResult> {
  const retirement = syncRetirement(input.now);
  if (retirement.phase === 'retired') {
    deps.logger.warn(`Sync agent key rotation refused: ${retirement.message}`, { rotationId: input.rotationId });
    return { outcomes: [], retirement };
  }
  const { agents, outcomes } = await resolveSyncAgents(deps);
  const firstSeen = input.now.toISOString();
  const perAgent = await mapConcurrent(agents, Math.max(1, deps.config.fanOut.concurrency), async (agent) => {
    const item: SyncAgentWorkItem = {
      kind: 'syncAgentKey',
      target: agent.id,
      vaultUrl: agent.vaultUrl,
      secretName: agent.secretName,
      rotationId: input.rotationId,
      attempt: 1,
      firstSeen,
      correlationId: input.rotationId,
    };
    try {
      return await rotateAgent(deps, item, agent);
    } catch (e) {
      // Only reached when even the retry could not be scheduled or dead-lettered: keep the run going, loudly.
      const error = asRotationError(e, item.target);
      deps.logger.error(`Sync agent ${item.target}: no retry could be scheduled: ${error.code}`, {
        agent: item.target,
        code: error.code,
        reason: error.message,
      });
      return { kind: 'failed', target: item.target, code: error.code, reason: error.message } satisfies Outcome;
    }
  });
  return { outcomes: [...outcomes, ...perAgent], retirement };
}

/**
 * One queued rotation step for one agent (a retry, or an item from the CLI): the item is first resolved
 * against the current configuration, then rotated as {@link rotateAgent} does. An item whose agent is not
 * configured nor discovered, or whose vault or secret name differ from the configuration's, is dead-lettered
 * as `NotInConfig` with no Azure write. Throws only when the retry cannot be scheduled nor the item
 * dead-lettered, so that the queue trigger redelivers.
 */
export async function processSyncAgentItem(deps: SyncAgentDeps, item: SyncAgentWorkItem): Promise<Outcome> {
  const retirement = syncRetirement(deps.clock.now());
  if (retirement.phase === 'retired') {
    deps.logger.warn(`Sync agent ${item.target} skipped: ${retirement.message}`, { agent: item.target, correlationId: item.correlationId });
    return { kind: 'skipped', target: item.target, reason: retirement.message };
  }
  let agent: ResolvedSyncAgent;
  try {
    agent = await resolveSyncAgentForItem(deps, item);
  } catch (e) {
    const error = asRotationError(e, item.target);
    if (error.code === 'NotInConfig') {
      deps.logger.error(`Sync agent work item refused (NotInConfig): ${error.message}`, {
        agent: item.target,
        vaultUrl: item.vaultUrl,
        secretName: item.secretName,
        rotationId: item.rotationId,
        correlationId: item.correlationId,
        attempt: item.attempt,
      });
    }
    return retryOrDeadLetter(deps, item, error);
  }
  return rotateAgent(deps, item, agent);
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
      (discovery.servers.some((s) => sameArmId(s, parsed.serverId)) || discovery.scopes.some((scope) => withinScope(parsed.serverId, scope)));
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
 * One rotation step for one resolved agent: idempotency check, the `requireOnline` check, generateKey,
 * setSecret, always into the agent's configured vault and secret. Failures go through retryOrDeadLetter.
 */
async function rotateAgent(deps: SyncAgentDeps, queued: SyncAgentWorkItem, resolved: ResolvedSyncAgent): Promise<Outcome> {
  // The configuration's vault and secret, whatever the message said (they were checked to agree).
  const item: SyncAgentWorkItem = { ...queued, target: resolved.id, vaultUrl: resolved.vaultUrl, secretName: resolved.secretName };
  const agent = item.target;
  const props = { agent, vaultUrl: item.vaultUrl, secretName: item.secretName, attempt: item.attempt };
  const now = deps.clock.now();

  // 1. Idempotency. Reading the secret also proves, before the key is regenerated, that the vault answers.
  let previous: ReturnType<typeof storedRotation>;
  try {
    const info = await deps.secrets.getSecretInfo(item.vaultUrl, item.secretName);
    // Our `rotatedAt` tag when there is one: a later tag update (the handoff alarm) moves updatedOn, not the key.
    previous = info === undefined ? undefined : storedRotation(info);
  } catch (e) {
    return retryOrDeadLetter(deps, item, asRotationError(e, agent));
  }
  if (previous !== undefined) {
    // A clock skew between Key Vault and this host must not read as a negative age.
    const ageMs = Math.max(0, now.getTime() - previous.rotatedAt.getTime());
    if (ageMs < deps.config.syncAgents.minIntervalMs) {
      const reason =
        `secret ${item.secretName} is ${hours(ageMs)} old, younger than the minimum interval of ` +
        `${hours(deps.config.syncAgents.minIntervalMs)}`;
      deps.logger.info(`Sync agent ${agent} skipped: ${reason}`, props);
      return { kind: 'skipped', target: agent, reason };
    }
  }

  // 2. requireOnline: a key nobody can pick up now would only lengthen the outage.
  if (resolved.requireOnline) {
    let blocker: string | undefined;
    try {
      blocker = pickupBlocker(await deps.syncAgents.getSyncAgent(agent), previous);
    } catch (e) {
      return retryOrDeadLetter(deps, item, asRotationError(e, agent));
    }
    if (blocker !== undefined) {
      const reason = `${blocker}: not rotated (requireOnline)`;
      deps.logger.warn(`Sync agent ${agent} skipped: ${reason}`, props);
      return { kind: 'skipped', target: agent, reason };
    }
  }

  // Everything the write needs is computed before the key is regenerated: nothing may fail in between.
  let tags: Record<string, string>;
  try {
    tags = secretTags(agent, item.rotationId, now);
  } catch (e) {
    return retryOrDeadLetter(deps, item, asRotationError(e, agent));
  }
  const expiresOn =
    deps.config.syncAgents.secretExpiryMs === undefined
      ? undefined
      : new Date(now.getTime() + deps.config.syncAgents.secretExpiryMs);

  // 3. Regenerate. From here on the previous key no longer works.
  let key: Secret;
  try {
    key = await deps.syncAgents.generateKey(agent);
  } catch (e) {
    return retryOrDeadLetter(deps, item, asRotationError(e, agent));
  }

  // 4. Store at once. `rotatedAt` is the time the regeneration answered: the agent may have been alive until
  // then, and the handoff check counts it back only when alive after this time.
  tags[ROTATED_AT_TAG] = deps.clock.now().toISOString();
  try {
    await deps.secrets.setSecret(item.vaultUrl, item.secretName, key, {
      contentType: SYNC_AGENT_KEY_CONTENT_TYPE,
      tags,
      ...(expiresOn === undefined ? {} : { expiresOn }),
    });
  } catch (e) {
    const cause = asRotationError(e, agent);
    // Same class (and Retry-After) as the cause, so a throttled vault is retried and a refused write is not.
    const error = new RotationError(
      'SecretWriteFailed',
      cause.errorClass,
      `The agent key was regenerated but could not be stored in ${item.secretName} ` +
        `(${cause.code}): the agent's host cannot connect until a key is stored. ${cause.message}`,
      { details: { ...cause.details, agent } },
    );
    deps.logger.error(`Sync agent ${agent}: key regenerated but NOT stored: ${cause.code}`, {
      ...props,
      code: cause.code,
      errorClass: cause.errorClass,
    });
    return retryOrDeadLetter(deps, item, error);
  }

  const detail = `key regenerated and stored in ${item.vaultUrl} secret ${item.secretName}`;
  deps.logger.info(`Sync agent ${agent} rotated: ${detail}`, props);
  return { kind: 'rotated', target: agent, detail };
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
      const error = asRotationError(e, scope);
      fail(scope, error.code, `cannot list the servers of scope ${scope}: ${error.message}`);
    }
  }

  const found = await mapConcurrent([...servers.values()], Math.max(1, deps.config.fanOut.concurrency), async (server) => {
    try {
      return await deps.syncAgents.listSyncAgents(server);
    } catch (e) {
      const error = asRotationError(e, server);
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
      const error = asRotationError(e, id);
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

/** Tags of a stored agent key: identifiers only. Values Key Vault would refuse (over 256 chars) are left out. */
export function secretTags(agentId: string, rotationId: string, rotatedAt: Date): Record<string, string> {
  const parsed = parseSyncAgentId(agentId);
  const tags: Record<string, string> = {
    purpose: SYNC_AGENT_KEY_PURPOSE,
    syncAgentId: agentId,
    server: parsed.serverName,
    syncAgent: parsed.agentName,
    [ROTATED_AT_TAG]: rotatedAt.toISOString(),
    rotationId,
  };
  for (const [k, v] of Object.entries(tags)) if (v.length > MAX_TAG_VALUE_LENGTH) delete tags[k];
  return tags;
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

/** Whether a server id lies in a scope (`/subscriptions/{id}` or `.../resourceGroups/{rg}`), case-insensitively. */
function withinScope(serverId: string, scope: string): boolean {
  return serverId.toLowerCase().startsWith(`${scope.replace(/\/+$/, '').toLowerCase()}/`);
}

/** Ports throw RotationError; anything else is a bug, reported without its (possibly sensitive) cause. */
function asRotationError(e: unknown, target: string): RotationError {
  if (isRotationError(e)) return e;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : 'non-error thrown';
  return new RotationError('UnexpectedError', 'terminal', `Unexpected failure for ${target}: ${message}`);
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${h >= 10 ? Math.round(h) : Math.round(h * 10) / 10} h`;
}
