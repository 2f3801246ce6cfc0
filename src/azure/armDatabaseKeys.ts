/**
 * Database-level customer-managed TDE keys (ARM, Microsoft.Sql `servers/{s}/databases/{db}`): a database holds
 * its keys in a `keys` map (Key Vault key URI -> {}) and its protector in `encryptionProtector` (a key URI), with
 * `encryptionProtectorAutoRotation` for Azure's own rotation. Both change with one long-running database update
 * (PATCH; 202 + Location, polled like every other operation here).
 *
 * The api-version: @azure/arm-sql 10 reads and updates databases at 2022-08-01-preview, whose model has `keys`
 * and `encryptionProtector` but no `encryptionProtectorAutoRotation`; a database that Azure rotates by itself
 * would look manual there, and this tool would switch its protector under Azure's feet. So the reads and the
 * update go at 2025-01-01 (the stable version that defines the flag) through the SDK client's own pipeline
 * (credential, retries, the ARM budget); listing uses the SDK's `databases.listByServer` as it is.
 *
 * Key names are derived from the URI as for server keys (`{vault}_{key}_{version}`), so the reconciler reasons
 * about a database exactly as about a server. Every failure leaves as a RotationError naming the database.
 */
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { EncryptionProtector, SqlServerKeys } from '../app/ports.js';
import { parseDatabaseId, parseServerId } from '../domain/armId.js';
import { parseKeyId, serverKeyName } from '../domain/keyId.js';
import { PollSchedule } from '../domain/pollSchedule.js';
import { RotationError } from '../domain/errors.js';
import { armResourceUrl, longRunningPut, lroPacing, type LroPacing, type LroPacingOptions } from './longRunningPut.js';
import { armResponseBody, armRestError } from './armRestError.js';
import { toRotationError } from './toRotationError.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

/** The api-version of database reads and updates (see the file comment). */
export const DATABASE_KEYS_API_VERSION = '2025-01-01';

/** Pacing (kind `databaseKeys`); the default schedule is a new one expecting the recorded 10 s. */
export type ArmDatabaseKeysOptions = LroPacingOptions;

/** What a database read with `$expand=keys` says about its keys. */
interface DatabaseKeysView {
  /** Key URIs of the `keys` map. */
  readonly keys: readonly string[];
  readonly encryptionProtector?: string;
  readonly autoRotation: boolean;
}

/** The SqlServerKeys port for database ids (`{server id}/databases/{db}`). */
export class ArmDatabaseKeys implements SqlServerKeys {
  readonly #clients: SqlClientFactory;
  readonly #pacing: LroPacing;

  constructor(clients: SqlClientFactory, options: ArmDatabaseKeysOptions = {}) {
    this.#clients = clients;
    this.#pacing = lroPacing(options, () => new PollSchedule());
  }

  #url(databaseId: string, query: string): { url: string; subscriptionId: string } {
    const db = parseDatabaseId(databaseId);
    const client = this.#clients.forSubscription(db.subscriptionId);
    const segments = ['subscriptions', db.subscriptionId, 'resourceGroups', db.resourceGroup, 'providers', 'Microsoft.Sql', 'servers', db.serverName, 'databases', db.databaseName];
    return { url: armResourceUrl(client.$host, segments, DATABASE_KEYS_API_VERSION, query), subscriptionId: db.subscriptionId };
  }

  /** GET the database with its keys expanded. */
  async #read(databaseId: string): Promise<DatabaseKeysView> {
    const { url, subscriptionId } = this.#url(databaseId, '$expand=keys&');
    const client = this.#clients.forSubscription(subscriptionId);
    try {
      const request = createPipelineRequest({ url, method: 'GET', headers: createHttpHeaders({ accept: 'application/json' }) });
      const response = await client.sendRequest(request);
      if (response.status !== 200) throw armRestError(request, response);
      const props = (armResponseBody(response)?.['properties'] ?? {}) as { keys?: unknown; encryptionProtector?: unknown; encryptionProtectorAutoRotation?: unknown };
      const keys = props.keys !== null && typeof props.keys === 'object' ? Object.keys(props.keys) : [];
      return {
        keys,
        ...(typeof props.encryptionProtector === 'string' && props.encryptionProtector !== '' ? { encryptionProtector: props.encryptionProtector } : {}),
        autoRotation: props.encryptionProtectorAutoRotation === true,
      };
    } catch (e) {
      throw toRotationError(e, { server: databaseId, step: 'databases.get' });
    }
  }

  /** One long-running database update. */
  async #update(databaseId: string, properties: Record<string, unknown>): Promise<void> {
    const { url, subscriptionId } = this.#url(databaseId, '');
    try {
      await longRunningPut(this.#clients.forSubscription(subscriptionId), url, { properties }, {
        kind: 'databaseKeys',
        method: 'PATCH',
        ...this.#pacing,
      });
    } catch (e) {
      throw toRotationError(e, { server: databaseId, step: 'databases.update' });
    }
  }

  async upsertServerKey(databaseId: string, _keyName: string, keyUri: string): Promise<void> {
    await this.#update(databaseId, { keys: { [keyUri]: {} } });
  }

  async hasServerKey(databaseId: string, keyName: string): Promise<boolean> {
    const view = await this.#read(databaseId);
    return view.keys.some((uri) => nameOf(uri)?.toLowerCase() === keyName.toLowerCase());
  }

  async getEncryptionProtector(databaseId: string): Promise<EncryptionProtector> {
    const view = await this.#read(databaseId);
    const uri = view.encryptionProtector;
    // No database-level protector: the database follows its server's (service-managed as far as it goes).
    if (uri === undefined) return { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false };
    return { serverKeyName: nameOf(uri) ?? uri, serverKeyType: 'AzureKeyVault', uri, autoRotationEnabled: view.autoRotation };
  }

  /** Adds the key (when `keyUri` is given) and sets the protector in one update. */
  async setEncryptionProtector(databaseId: string, keyName: string, autoRotationEnabled: boolean, keyUri?: string): Promise<void> {
    const uri = keyUri ?? (await this.#read(databaseId)).keys.find((u) => nameOf(u)?.toLowerCase() === keyName.toLowerCase());
    if (uri === undefined) {
      throw new RotationError('ServerKeyDoesNotExists', 'terminal', `database ${databaseId} has no key ${keyName} to make its protector`, {
        details: { server: databaseId },
      });
    }
    await this.#update(databaseId, { keys: { [uri]: {} }, encryptionProtector: uri, encryptionProtectorAutoRotation: autoRotationEnabled });
  }

  /** The databases of these servers that have a database-level protector (`databases.listByServer`). */
  async listDatabasesWithOwnKey(serverIds: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const serverId of serverIds) {
      const s = parseServerId(serverId);
      try {
        for await (const db of this.#clients.forSubscription(s.subscriptionId).databases.listByServer(s.resourceGroup, s.serverName)) {
          if (db.id && typeof db.encryptionProtector === 'string' && db.encryptionProtector !== '') ids.push(db.id);
        }
      } catch (e) {
        throw toRotationError(e, { server: serverId, step: 'databases.listByServer' });
      }
    }
    return ids;
  }
}

/** `{vault}_{key}_{version}` of a key URI, or undefined when it is not a key id. */
function nameOf(uri: string): string | undefined {
  try {
    return serverKeyName(parseKeyId(uri));
  } catch {
    return undefined;
  }
}
