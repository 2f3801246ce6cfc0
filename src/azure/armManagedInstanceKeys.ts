/**
 * SQL Managed Instance keys and TDE protectors through @azure/arm-sql (ARM): `managedInstances/{mi}/keys/{name}`
 * and `managedInstances/{mi}/encryptionProtector/current`, the same shapes and key names as a logical server's.
 *
 * Managed instance operations take minutes, not seconds: their PUTs are polled on a schedule of their own
 * (kinds `managedInstanceKey` and `managedInstanceProtector`, first poll expected after a few minutes), so a slow
 * but healthy operation costs a handful of status reads and is never taken for a failure: the adapter waits for
 * ARM's verdict, however long, and only a `Failed` or `Canceled` status is an error. Every failure leaves as a
 * RotationError naming the instance.
 */
import type { EncryptionProtector, SqlServerKeys } from '../app/ports.js';
import { parseManagedInstanceId, parseScope } from '../domain/armId.js';
import { PollSchedule } from '../domain/pollSchedule.js';
import { armResourceUrl, longRunningPut, lroPacing, type LroPacing, type LroPacingOptions } from './armLongRunningPut.js';
import { isAlreadyThere, toRotationError } from './azureErrors.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

/** The api-version @azure/arm-sql 10 sends for managed instance keys and encryption protectors. */
export const MANAGED_INSTANCE_KEYS_API_VERSION = '2020-11-01-preview';

/** Kinds of managed instance operation whose durations are learned apart. */
export type ManagedInstanceOperationKind = 'managedInstanceKey' | 'managedInstanceProtector';

/**
 * A poll schedule for managed instance operations: the first poll after 3 minutes (a key or protector change on
 * an instance is reported to take minutes), later ones a fraction of that apart, at most 5 minutes apart.
 */
export function managedInstancePollSchedule(): PollSchedule {
  return new PollSchedule({ initialExpectedMs: 180_000, maxDelayMs: 300_000, minDelayMs: 1_000 }, { managedInstanceKey: 180_000, managedInstanceProtector: 180_000 });
}

/** Pacing; the default schedule is {@link managedInstancePollSchedule}. */
export type ArmManagedInstanceKeysOptions = LroPacingOptions;

/** The SqlServerKeys port for managed instance ids (`.../providers/Microsoft.Sql/managedInstances/{mi}`). */
export class ArmManagedInstanceKeys implements SqlServerKeys {
  readonly #clients: SqlClientFactory;
  readonly #pacing: LroPacing;

  constructor(clients: SqlClientFactory, options: ArmManagedInstanceKeysOptions = {}) {
    this.#clients = clients;
    this.#pacing = lroPacing(options, managedInstancePollSchedule);
  }

  async #put(instanceId: string, child: readonly string[], kind: ManagedInstanceOperationKind, body: unknown): Promise<void> {
    const mi = parseManagedInstanceId(instanceId);
    const client = this.#clients.forSubscription(mi.subscriptionId);
    const segments = ['subscriptions', mi.subscriptionId, 'resourceGroups', mi.resourceGroup, 'providers', 'Microsoft.Sql', 'managedInstances', mi.managedInstanceName, ...child];
    await longRunningPut(client, armResourceUrl(client.$host, segments, MANAGED_INSTANCE_KEYS_API_VERSION), body, { kind, ...this.#pacing });
  }

  async upsertServerKey(instanceId: string, keyName: string, keyUri: string): Promise<void> {
    try {
      await this.#put(instanceId, ['keys', keyName], 'managedInstanceKey', { properties: { serverKeyType: 'AzureKeyVault', uri: keyUri } });
    } catch (e) {
      const err = toRotationError(e, { server: instanceId, step: 'managedInstanceKeys.createOrUpdate' });
      if (isAlreadyThere(err)) return;
      throw err;
    }
  }

  async hasServerKey(instanceId: string, keyName: string): Promise<boolean> {
    const mi = parseManagedInstanceId(instanceId);
    try {
      await this.#clients.forSubscription(mi.subscriptionId).managedInstanceKeys.get(mi.resourceGroup, mi.managedInstanceName, keyName);
      return true;
    } catch (e) {
      const err = toRotationError(e, { server: instanceId, step: 'managedInstanceKeys.get' });
      if (err.details.statusCode === 404) return false;
      throw err;
    }
  }

  async getEncryptionProtector(instanceId: string): Promise<EncryptionProtector> {
    const mi = parseManagedInstanceId(instanceId);
    try {
      const p = await this.#clients
        .forSubscription(mi.subscriptionId)
        .managedInstanceEncryptionProtectors.get(mi.resourceGroup, mi.managedInstanceName, 'current');
      return {
        serverKeyName: p.serverKeyName ?? '',
        serverKeyType: p.serverKeyType === 'AzureKeyVault' ? 'AzureKeyVault' : 'ServiceManaged',
        ...(p.uri ? { uri: p.uri } : {}),
        autoRotationEnabled: p.autoRotationEnabled === true,
      };
    } catch (e) {
      throw toRotationError(e, { server: instanceId, step: 'managedInstanceEncryptionProtectors.get' });
    }
  }

  async setEncryptionProtector(instanceId: string, keyName: string, autoRotationEnabled: boolean): Promise<void> {
    try {
      await this.#put(instanceId, ['encryptionProtector', 'current'], 'managedInstanceProtector', {
        properties: { serverKeyName: keyName, serverKeyType: 'AzureKeyVault', autoRotationEnabled },
      });
    } catch (e) {
      throw toRotationError(e, { server: instanceId, step: 'managedInstanceEncryptionProtectors.createOrUpdate' });
    }
  }

  /** The managed instances of a scope (subscription or resource group). */
  async listManagedInstances(scope: string): Promise<string[]> {
    const sc = parseScope(scope);
    const client = this.#clients.forSubscription(sc.subscriptionId);
    const ids: string[] = [];
    try {
      const pages = sc.resourceGroup === undefined ? client.managedInstances.list() : client.managedInstances.listByResourceGroup(sc.resourceGroup);
      for await (const mi of pages) if (mi.id) ids.push(mi.id);
    } catch (e) {
      throw toRotationError(e, { server: scope, step: 'managedInstances.list' });
    }
    return ids;
  }
}
