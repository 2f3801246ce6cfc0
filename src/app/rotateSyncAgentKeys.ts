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
 * deepen its outage. After SQL Data Sync's retirement (see syncRetirement.ts) nothing is rotated.
 *
 * One agent failing never stops the others: every agent ends in an {@link Outcome}.
 */
import { RotationError } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import type { Secret } from '../domain/secret.js';
import { pickupBlocker, storedRotation, ROTATED_AT_TAG } from '../domain/handoffState.js';
import { syncRetirement, type SyncRetirement } from '../domain/syncRetirement.js';
import type { SyncAgentWorkItem } from '../domain/workItem.js';
import type { AppConfig } from '../config/appConfig.js';
import { mapConcurrent } from './mapConcurrent.js';
import type { SecretStore, ServerDirectory, SyncAgents } from './ports.js';
import { resolveSyncAgentForItem, resolveSyncAgents, syncAgentError, type ResolvedSyncAgent } from './resolveSyncAgents.js';
import { retryOrDeadLetter, type RetryDeps } from './retryOrDeadLetter.js';
import { SYNC_AGENT_KEY_CONTENT_TYPE, syncAgentSecretTags } from './syncAgentSecretTags.js';

export { resolveSyncAgentForItem, resolveSyncAgents, type ResolvedSyncAgent } from './resolveSyncAgents.js';
export { SYNC_AGENT_KEY_CONTENT_TYPE, SYNC_AGENT_KEY_PURPOSE, syncAgentSecretTags } from './syncAgentSecretTags.js';


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
      const error = syncAgentError(e, item.target);
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
    const error = syncAgentError(e, item.target);
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
    return retryOrDeadLetter(deps, item, syncAgentError(e, agent));
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
      return retryOrDeadLetter(deps, item, syncAgentError(e, agent));
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
    tags = syncAgentSecretTags(agent, item.rotationId, now);
  } catch (e) {
    return retryOrDeadLetter(deps, item, syncAgentError(e, agent));
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
    return retryOrDeadLetter(deps, item, syncAgentError(e, agent));
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
    const cause = syncAgentError(e, agent);
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

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${h >= 10 ? Math.round(h) : Math.round(h * 10) / 10} h`;
}
