/**
 * Azure SQL logical server keys, TDE protectors and server discovery through @azure/arm-sql (ARM).
 * Long-running PUTs (202 + Azure-AsyncOperation) go through the SDK client's pipeline and are polled on a
 * {@link PollSchedule} (see armLongRunningPut): when operations of the same kind are expected to be done, not
 * every 2 s, with no poll straight after the PUT and no final GET of the resource, so an operation costs one or
 * two ARM reads. Every failure leaves as a RotationError naming the server.
 */
import type { EncryptionProtector, ServerDirectory, SqlServerKeys } from '../app/ports.js';
import { PollSchedule } from '../domain/pollSchedule.js';
import { lroPacing, type LroPacing, type LroPacingOptions } from './longRunningPut.js';
import { ArmSqlKeyHolder, type SqlKeyHolderKind } from './armSqlKeyHolder.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

/** The api-version @azure/arm-sql 10 sends for server keys and encryption protectors. */
const SQL_KEYS_API_VERSION = '2020-11-01-preview';

/** Pacing (default schedule: a new one expecting the recorded 10 s), and remembered writes. */
export interface ArmSqlServerKeysOptions extends LroPacingOptions {
  /**
   * For this long after this process added a server key or switched a protector (ARM confirmed the operation),
   * `hasServerKey` and `getEncryptionProtector` answer from that write instead of reading ARM again: the
   * reconciler's look after its own switch then costs no ARM reads. Default 0 (always read).
   */
  readonly rememberWritesMs?: number;
}

/** Writes remembered at most (each server's entries are small; old ones go first). */
const MAX_REMEMBERED = 20_000;

/** Kinds of operation whose durations are learned apart. */
export type SqlOperationKind = 'serverKey' | 'encryptionProtector';
const SQL_OPERATIONS = { key: 'serverKey', protector: 'encryptionProtector' } as const satisfies Record<string, SqlOperationKind>;

/** A logical server as a key holder; its errors name no SDK call. */
const LOGICAL_SERVER: SqlKeyHolderKind = { resourceType: 'servers', apiVersion: SQL_KEYS_API_VERSION, namesSteps: false, operationKinds: SQL_OPERATIONS };

export class ArmSqlServerKeys implements SqlServerKeys, ServerDirectory {
  readonly #servers: ArmSqlKeyHolder;
  readonly #pacing: LroPacing;
  readonly #rememberMs: number;
  /** Lower-cased `{server}/keys/{name}` -> key URI, and `{server}` -> protector, with the time they expire. */
  readonly #keysWritten = new Map<string, { uri: string; until: number }>();
  readonly #protectorsWritten = new Map<string, { protector: EncryptionProtector; until: number }>();

  constructor(clients: SqlClientFactory, options: ArmSqlServerKeysOptions = {}) {
    this.#rememberMs = options.rememberWritesMs ?? 0;
    this.#pacing = lroPacing(options, () => new PollSchedule());
    this.#servers = new ArmSqlKeyHolder(clients, LOGICAL_SERVER, this.#pacing);
  }

  async upsertServerKey(serverId: string, serverKeyName: string, keyUri: string): Promise<void> {
    await this.#servers.upsertKey(serverId, serverKeyName, keyUri);
    this.#remember(this.#keysWritten, `${serverId}/keys/${serverKeyName}`, { uri: keyUri });
  }

  #remember<T>(map: Map<string, T & { until: number }>, key: string, value: T): void {
    if (this.#rememberMs <= 0) return;
    const k = key.toLowerCase();
    map.delete(k);
    map.set(k, { ...value, until: this.#pacing.now() + this.#rememberMs });
    if (map.size > MAX_REMEMBERED) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }

  #recall<T>(map: Map<string, T & { until: number }>, key: string): T | undefined {
    if (this.#rememberMs <= 0) return undefined;
    const k = key.toLowerCase();
    const hit = map.get(k);
    if (hit === undefined) return undefined;
    if (hit.until > this.#pacing.now()) return hit;
    map.delete(k);
    return undefined;
  }

  async hasServerKey(serverId: string, serverKeyName: string): Promise<boolean> {
    if (this.#recall(this.#keysWritten, `${serverId}/keys/${serverKeyName}`) !== undefined) return true;
    return this.#servers.hasKey(serverId, serverKeyName);
  }

  async getEncryptionProtector(serverId: string): Promise<EncryptionProtector> {
    const written = this.#recall(this.#protectorsWritten, serverId);
    if (written !== undefined) return written.protector;
    return this.#servers.getProtector(serverId);
  }

  async setEncryptionProtector(serverId: string, serverKeyName: string, autoRotationEnabled: boolean): Promise<void> {
    try {
      await this.#servers.setProtector(serverId, serverKeyName, autoRotationEnabled);
    } catch (e) {
      this.#protectorsWritten.delete(serverId.toLowerCase());
      throw e;
    }
    // Remembered only with the key's URI (known when this process added the key), as ARM would answer it.
    const key = this.#recall(this.#keysWritten, `${serverId}/keys/${serverKeyName}`);
    if (key !== undefined) {
      const protector: EncryptionProtector = { serverKeyName, serverKeyType: 'AzureKeyVault', uri: key.uri, autoRotationEnabled };
      this.#remember(this.#protectorsWritten, serverId, { protector });
    }
  }

  async listServers(scope: string): Promise<string[]> {
    return this.#servers.list(scope);
  }
}

