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
import { PollSchedule } from '../domain/pollSchedule.js';
import { lroPacing, type LroPacingOptions } from './longRunningPut.js';
import { ArmSqlKeyHolder, type SqlKeyHolderKind } from './armSqlKeyHolder.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

/** The api-version @azure/arm-sql 10 sends for managed instance keys and encryption protectors. */
export const MANAGED_INSTANCE_KEYS_API_VERSION = '2020-11-01-preview';

/** Kinds of managed instance operation whose durations are learned apart. */
export type ManagedInstanceOperationKind = 'managedInstanceKey' | 'managedInstanceProtector';
const MANAGED_INSTANCE_OPERATIONS = { key: 'managedInstanceKey', protector: 'managedInstanceProtector' } as const satisfies Record<string, ManagedInstanceOperationKind>;

/**
 * A poll schedule for managed instance operations: the first poll after 3 minutes (a key or protector change on
 * an instance is reported to take minutes), later ones a fraction of that apart, at most 5 minutes apart.
 */
export function managedInstancePollSchedule(): PollSchedule {
  return new PollSchedule({ initialExpectedMs: 180_000, maxDelayMs: 300_000, minDelayMs: 1_000 }, { managedInstanceKey: 180_000, managedInstanceProtector: 180_000 });
}

/** Pacing; the default schedule is {@link managedInstancePollSchedule}. */
export type ArmManagedInstanceKeysOptions = LroPacingOptions;

/** A managed instance as a key holder; its errors name the SDK call (`details.step`). */
const MANAGED_INSTANCE: SqlKeyHolderKind = { resourceType: 'managedInstances', apiVersion: MANAGED_INSTANCE_KEYS_API_VERSION, namesSteps: true, operationKinds: MANAGED_INSTANCE_OPERATIONS };

/** The SqlServerKeys port for managed instance ids (`.../providers/Microsoft.Sql/managedInstances/{mi}`). */
export class ArmManagedInstanceKeys implements SqlServerKeys {
  readonly #instances: ArmSqlKeyHolder;

  constructor(clients: SqlClientFactory, options: ArmManagedInstanceKeysOptions = {}) {
    this.#instances = new ArmSqlKeyHolder(clients, MANAGED_INSTANCE, lroPacing(options, managedInstancePollSchedule));
  }

  async upsertServerKey(instanceId: string, keyName: string, keyUri: string): Promise<void> {
    await this.#instances.upsertKey(instanceId, keyName, keyUri);
  }

  async hasServerKey(instanceId: string, keyName: string): Promise<boolean> {
    return this.#instances.hasKey(instanceId, keyName);
  }

  async getEncryptionProtector(instanceId: string): Promise<EncryptionProtector> {
    return this.#instances.getProtector(instanceId);
  }

  async setEncryptionProtector(instanceId: string, keyName: string, autoRotationEnabled: boolean): Promise<void> {
    await this.#instances.setProtector(instanceId, keyName, autoRotationEnabled);
  }

  /** The managed instances of a scope (subscription or resource group). */
  async listManagedInstances(scope: string): Promise<string[]> {
    return this.#instances.list(scope);
  }
}
