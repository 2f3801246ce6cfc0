/**
 * The SqlServerKeys and ServerDirectory ports for every kind of TDE target, dispatching by the shape of the id
 * (`targetKindOf`): logical servers to {@link ArmSqlServerKeys}, managed instances to
 * {@link ArmManagedInstanceKeys}, databases with database-level keys to {@link ArmDatabaseKeys}. One reconciler
 * converges all three through it.
 */
import type { EncryptionProtector, ServerDirectory, SqlServerKeys } from '../app/ports.js';
import { InvalidArmIdError, targetKindOf } from '../domain/armId.js';
import type { ArmDatabaseKeys } from './armDatabaseKeys.js';
import type { ArmManagedInstanceKeys } from './armManagedInstanceKeys.js';
import type { ArmSqlServerKeys } from './armSqlServerKeys.js';

export class ArmTargetKeys implements SqlServerKeys, ServerDirectory {
  readonly #servers: ArmSqlServerKeys;
  readonly #instances: ArmManagedInstanceKeys;
  readonly #databases: ArmDatabaseKeys;

  constructor(kinds: { readonly servers: ArmSqlServerKeys; readonly managedInstances: ArmManagedInstanceKeys; readonly databases: ArmDatabaseKeys }) {
    this.#servers = kinds.servers;
    this.#instances = kinds.managedInstances;
    this.#databases = kinds.databases;
  }

  #for(id: string): SqlServerKeys {
    switch (targetKindOf(id)) {
      case 'managedInstance':
        return this.#instances;
      case 'database':
        return this.#databases;
      case 'server':
        return this.#servers;
      case undefined:
        throw new InvalidArmIdError(`"${id}" is not the id of a logical server, managed instance or database`);
    }
  }

  upsertServerKey(id: string, keyName: string, keyUri: string): Promise<void> {
    return this.#for(id).upsertServerKey(id, keyName, keyUri);
  }

  hasServerKey(id: string, keyName: string): Promise<boolean> {
    return this.#for(id).hasServerKey(id, keyName);
  }

  getEncryptionProtector(id: string): Promise<EncryptionProtector> {
    return this.#for(id).getEncryptionProtector(id);
  }

  setEncryptionProtector(id: string, keyName: string, autoRotationEnabled: boolean, keyUri?: string): Promise<void> {
    return this.#for(id).setEncryptionProtector(id, keyName, autoRotationEnabled, keyUri);
  }

  listServers(scope: string): Promise<string[]> {
    return this.#servers.listServers(scope);
  }

  /** Servers, managed instances, and the databases of those servers that have a database-level protector. */
  async listTargets(scope: string): Promise<string[]> {
    const [servers, instances] = await Promise.all([this.#servers.listServers(scope), this.#instances.listManagedInstances(scope)]);
    const databases = await this.#databases.listDatabasesWithOwnKey(servers);
    return [...servers, ...instances, ...databases];
  }
}
