/**
 * What a logical server and a managed instance have in common through @azure/arm-sql: server keys under
 * `{resource}/keys/{name}`, one TDE protector at `{resource}/encryptionProtector/current`, and discovery in a
 * scope. The shapes are the same; only the resource type, the id parser and the SDK operation groups differ, so
 * one implementation serves both adapters, each naming its {@link SqlKeyHolderKind}.
 *
 * Writes are long-running PUTs paced by the adapter's {@link LroPacing}; reads and lists use the SDK's own
 * operations. Every failure leaves as a RotationError naming the resource (and, for a kind that `namesSteps`, the
 * SDK call as `details.step`).
 */
import type { EncryptionProtector } from '../app/ports.js';
import { parseManagedInstanceId, parseScope, parseServerId } from '../domain/armId.js';
import type { ErrorDetails, RotationError } from '../domain/errors.js';
import { armResourceUrl, longRunningPut, type LroPacing } from './longRunningPut.js';
import { isAlreadyThere, toRotationError } from './toRotationError.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

/** The parts of a key holder's ARM id the SDK calls take. */
interface SqlKeyHolderId {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

/** The SDK calls an error may name in `details.step`. */
type SqlKeyHolderStep = 'getKey' | 'putKey' | 'getProtector' | 'putProtector' | 'list';

/**
 * The @azure/arm-sql operation groups of each kind of key holder: its keys, its protectors, and (named after the
 * resource type) the resources themselves.
 */
const SDK_OPERATIONS = {
  servers: { keys: 'serverKeys', protectors: 'encryptionProtectors' },
  managedInstances: { keys: 'managedInstanceKeys', protectors: 'managedInstanceEncryptionProtectors' },
} as const;

/** One kind of SQL resource that holds server keys and a TDE protector. */
export interface SqlKeyHolderKind {
  /** Resource type under `providers/Microsoft.Sql`; also the SDK operation group that lists them. */
  readonly resourceType: keyof typeof SDK_OPERATIONS;
  /** api-version of the key and protector PUTs. */
  readonly apiVersion: string;
  /** Kinds of long-running operation (key, protector), for the durations the poll schedule learns apart. */
  readonly operationKinds: { readonly key: string; readonly protector: string };
  /** Whether errors name the SDK call in `details.step` (e.g. `managedInstanceKeys.get`). */
  readonly namesSteps: boolean;
}

/** Keys, protector and discovery of one {@link SqlKeyHolderKind}. */
export class ArmSqlKeyHolder {
  readonly #clients: SqlClientFactory;
  readonly #kind: SqlKeyHolderKind;
  readonly #pacing: LroPacing;

  constructor(clients: SqlClientFactory, kind: SqlKeyHolderKind, pacing: LroPacing) {
    this.#clients = clients;
    this.#kind = kind;
    this.#pacing = pacing;
  }

  /** Adds the Key Vault key as `keyName`; a key already there (same name or URI) counts as added. */
  async upsertKey(id: string, keyName: string, keyUri: string): Promise<void> {
    try {
      await this.#put(id, ['keys', keyName], this.#kind.operationKinds.key, { properties: { serverKeyType: 'AzureKeyVault', uri: keyUri } });
    } catch (e) {
      const err = this.#error(e, id, 'putKey');
      if (isAlreadyThere(err)) return;
      throw err;
    }
  }

  /** Whether the resource holds `keyName` (a 404 means it does not). */
  async hasKey(id: string, keyName: string): Promise<boolean> {
    const r = this.#parse(id);
    try {
      await this.#clients.forSubscription(r.subscriptionId)[this.#sdk.keys].get(r.resourceGroup, r.name, keyName);
      return true;
    } catch (e) {
      const err = this.#error(e, id, 'getKey');
      if (err.details.statusCode === 404) return false;
      throw err;
    }
  }

  async getProtector(id: string): Promise<EncryptionProtector> {
    const r = this.#parse(id);
    try {
      const p = await this.#clients.forSubscription(r.subscriptionId)[this.#sdk.protectors].get(r.resourceGroup, r.name, 'current');
      return {
        serverKeyName: p.serverKeyName ?? '',
        serverKeyType: p.serverKeyType === 'AzureKeyVault' ? 'AzureKeyVault' : 'ServiceManaged',
        ...(p.uri ? { uri: p.uri } : {}),
        autoRotationEnabled: p.autoRotationEnabled === true,
      };
    } catch (e) {
      throw this.#error(e, id, 'getProtector');
    }
  }

  /** Makes the Key Vault key `keyName` the protector. */
  async setProtector(id: string, keyName: string, autoRotationEnabled: boolean): Promise<void> {
    try {
      await this.#put(id, ['encryptionProtector', 'current'], this.#kind.operationKinds.protector, {
        properties: { serverKeyName: keyName, serverKeyType: 'AzureKeyVault', autoRotationEnabled },
      });
    } catch (e) {
      throw this.#error(e, id, 'putProtector');
    }
  }

  /** The ids of the resources of a scope (subscription or resource group). */
  async list(scope: string): Promise<string[]> {
    const sc = parseScope(scope);
    const ids: string[] = [];
    const resources = this.#clients.forSubscription(sc.subscriptionId)[this.#kind.resourceType];
    try {
      const pages = sc.resourceGroup === undefined ? resources.list() : resources.listByResourceGroup(sc.resourceGroup);
      for await (const resource of pages) {
        if (resource.id) ids.push(resource.id);
      }
    } catch (e) {
      throw this.#error(e, scope, 'list');
    }
    return ids;
  }

  /** PUTs `{resource}/{child…}` and waits for the operation to end. */
  async #put(id: string, child: readonly string[], operationKind: string, body: unknown): Promise<void> {
    const r = this.#parse(id);
    const client = this.#clients.forSubscription(r.subscriptionId);
    const segments = ['subscriptions', r.subscriptionId, 'resourceGroups', r.resourceGroup, 'providers', 'Microsoft.Sql', this.#kind.resourceType, r.name, ...child];
    await longRunningPut(client, armResourceUrl(client.$host, segments, this.#kind.apiVersion), body, { kind: operationKind, ...this.#pacing });
  }

  get #sdk(): (typeof SDK_OPERATIONS)[keyof typeof SDK_OPERATIONS] {
    return SDK_OPERATIONS[this.#kind.resourceType];
  }

  #parse(id: string): SqlKeyHolderId {
    if (this.#kind.resourceType === 'servers') {
      const s = parseServerId(id);
      return { subscriptionId: s.subscriptionId, resourceGroup: s.resourceGroup, name: s.serverName };
    }
    const mi = parseManagedInstanceId(id);
    return { subscriptionId: mi.subscriptionId, resourceGroup: mi.resourceGroup, name: mi.managedInstanceName };
  }

  #error(e: unknown, id: string, step: SqlKeyHolderStep): RotationError {
    const details: ErrorDetails = this.#kind.namesSteps ? { server: id, step: this.#stepName(step) } : { server: id };
    return toRotationError(e, details);
  }

  /** The SDK call behind a step, as `{operation group}.{method}`. */
  #stepName(step: SqlKeyHolderStep): string {
    switch (step) {
      case 'getKey':
        return `${this.#sdk.keys}.get`;
      case 'putKey':
        return `${this.#sdk.keys}.createOrUpdate`;
      case 'getProtector':
        return `${this.#sdk.protectors}.get`;
      case 'putProtector':
        return `${this.#sdk.protectors}.createOrUpdate`;
      case 'list':
        return `${this.#kind.resourceType}.list`;
    }
  }
}
