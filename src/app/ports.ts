/**
 * The capabilities the use cases need. Adapters in src/azure implement them with the Azure SDK and turn every
 * SDK failure into a RotationError (see src/domain/errors.ts); in-memory fakes implement them in tests.
 */
import type { KeyId } from '../domain/keyId.js';
import type { KeyVersionProperties } from '../domain/keyVersionProperties.js';
import type { Secret } from '../domain/secret.js';
import type { SyncAgentLiveness } from '../domain/handoffState.js';
import type { WorkItem } from '../domain/workItem.js';
import type { RotationNotification } from './rotationNotification.js';

/** Defined in the domain (the pre-flight check reads it); re-exported for the ports' users. */
export type { KeyVersionProperties };

/**
 * Tells the people who own the keys what happened (a webhook; see src/azure/webhookNotifier.ts). Identifiers
 * and outcomes only, never a secret. Must not reject: delivery is best effort and failures are logged by the
 * implementation; callers still go through notifySafely, which logs a notifier that breaks the contract.
 */
export interface Notifier {
  notify(notification: RotationNotification): Promise<void>;
}

/** What listing a key's versions tells (Key Vault returns no key type or size there). */
export type KeyVersionSummary = Omit<KeyVersionProperties, 'keyType' | 'keySize'>;

/** Reads key versions from Key Vault / Managed HSM (data plane). */
export interface KeyReader {
  /** The given version (`key.version` set) or the latest one. Throws RotationError (404 -> terminal). */
  getKey(key: KeyId): Promise<KeyVersionProperties>;
  /** Every version's properties (no key material, no key type), in no particular order. */
  listVersions(key: KeyId): Promise<KeyVersionSummary[]>;
}

/**
 * The TDE protector of a target: a logical server's or a managed instance's `encryptionProtector/current`, or a
 * database's `encryptionProtector` property (its key name then derived from the URI, as for server keys).
 */
export interface EncryptionProtector {
  /** Server key name in place, e.g. `contoso_tde_0123...`, or `ServiceManaged`. */
  readonly serverKeyName: string;
  /** A database without a database-level key reports `ServiceManaged` here (it follows its server). */
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged';
  /** Key URI of the protector (versioned) when AzureKeyVault. */
  readonly uri?: string;
  /** `autoRotationEnabled` (servers, managed instances) or `encryptionProtectorAutoRotation` (databases). */
  readonly autoRotationEnabled: boolean;
}

/**
 * TDE keys and protectors of every kind of target (ARM, Microsoft.Sql), by full ARM id: logical servers
 * (`servers/{s}/keys`, `encryptionProtector/current`), managed instances (`managedInstances/{mi}/keys`,
 * `encryptionProtector/current`) and databases with database-level keys (the database's `keys` map and
 * `encryptionProtector`, written with one database update). The names say "server" for history: an adapter
 * dispatches by the kind of the id (src/domain/armId.ts `targetKindOf`).
 */
export interface SqlServerKeys {
  /** Idempotent: a key that already exists is success. Waits for the long-running operation. */
  upsertServerKey(serverId: string, serverKeyName: string, keyUri: string): Promise<void>;
  /** Whether the target has a key of that name (`{vault}_{key}_{version}`). */
  hasServerKey(serverId: string, serverKeyName: string): Promise<boolean>;
  getEncryptionProtector(serverId: string): Promise<EncryptionProtector>;
  /**
   * Switches the protector to a key the target holds. Waits for the long-running operation. `keyUri`, when
   * given, lets a target that takes its keys and protector in one update (a database) add the key in that same
   * update; servers and managed instances need the key added first and ignore it.
   */
  setEncryptionProtector(serverId: string, serverKeyName: string, autoRotationEnabled: boolean, keyUri?: string): Promise<void>;
}

/** Finds TDE targets in a scope (`/subscriptions/{id}` or `/subscriptions/{id}/resourceGroups/{rg}`). */
export interface ServerDirectory {
  /** Logical servers only (sync-agent discovery reads this). */
  listServers(scope: string): Promise<string[]>;
  /**
   * Every TDE target of the scope: logical servers, managed instances, and databases that have a database-level
   * protector. Key discovery reads this; a directory without it lists servers only.
   */
  listTargets?(scope: string): Promise<string[]>;
}

/** SQL Data Sync agents (ARM). */
export interface SyncAgents {
  listSyncAgents(serverId: string): Promise<string[]>;
  /** Regenerates the agent key: the previous key stops working at once. */
  generateKey(syncAgentId: string): Promise<Secret>;
  /** The agent's state and when the service last heard from it (`syncAgents.get`). Throws RotationError (404 terminal). */
  getSyncAgent(syncAgentId: string): Promise<SyncAgentLiveness>;
}

export interface StoredSecretInfo {
  /** Version id of the newest version. */
  readonly version?: string;
  readonly updatedOn?: Date;
  readonly tags: Readonly<Record<string, string>>;
}

/** Key Vault secrets. */
export interface SecretStore {
  setSecret(
    vaultUrl: string,
    name: string,
    value: Secret,
    options: { readonly contentType: string; readonly tags: Record<string, string>; readonly expiresOn?: Date },
  ): Promise<void>;
  /** Properties of the newest version, or undefined when the secret does not exist. */
  getSecretInfo(vaultUrl: string, name: string): Promise<StoredSecretInfo | undefined>;
  /** Replaces the tags of one version (its value untouched): records the handoff alarm on the rotation it is for. */
  updateSecretTags(vaultUrl: string, name: string, version: string, tags: Record<string, string>): Promise<void>;
}

/** The backoff queue: durable, scheduled delivery of work items (Service Bus, or the local durable queue). */
export interface WorkQueue {
  /** Schedules items for delivery at `at` (now when omitted). `messageId` is derived per (item, attempt). */
  schedule(items: readonly WorkItem[], at?: Date): Promise<void>;
}

/** Where dead work items go, with their reason, loudly. */
export interface FailureSink {
  deadLetter(item: WorkItem, reason: string, description: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Structured logger: a message and identifiers. Implementations must never be handed a secret. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}
