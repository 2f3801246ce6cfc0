/**
 * Azure SQL logical server keys, TDE protectors and server discovery through @azure/arm-sql (ARM).
 * Long-running PUTs are awaited with the SDK's poller (202 + Azure-AsyncOperation, honouring Retry-After);
 * every failure leaves as a RotationError naming the server.
 */
import type { EncryptionProtector, ServerDirectory, SqlServerKeys } from '../app/ports.js';
import { parseScope, parseServerId } from '../domain/armId.js';
import { toRotationError, isAlreadyThere } from './azureErrors.js';
import type { SqlClientFactory } from './sqlClientFactory.js';

export interface ArmSqlServerKeysOptions {
  /** Poll interval of long-running operations when ARM sends no Retry-After (SDK default 2 s). */
  readonly pollIntervalMs?: number;
}

export class ArmSqlServerKeys implements SqlServerKeys, ServerDirectory {
  readonly #clients: SqlClientFactory;
  readonly #pollOptions: { updateIntervalInMs?: number };

  constructor(clients: SqlClientFactory, options: ArmSqlServerKeysOptions = {}) {
    this.#clients = clients;
    this.#pollOptions = options.pollIntervalMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalMs };
  }

  async upsertServerKey(serverId: string, serverKeyName: string, keyUri: string): Promise<void> {
    const s = parseServerId(serverId);
    try {
      await this.#clients
        .forSubscription(s.subscriptionId)
        .serverKeys.beginCreateOrUpdateAndWait(
          s.resourceGroup,
          s.serverName,
          serverKeyName,
          { serverKeyType: 'AzureKeyVault', uri: keyUri },
          this.#pollOptions,
        );
    } catch (e) {
      const err = toRotationError(e, { server: serverId });
      if (isAlreadyThere(err)) return;
      throw err;
    }
  }

  async hasServerKey(serverId: string, serverKeyName: string): Promise<boolean> {
    const s = parseServerId(serverId);
    try {
      await this.#clients.forSubscription(s.subscriptionId).serverKeys.get(s.resourceGroup, s.serverName, serverKeyName);
      return true;
    } catch (e) {
      const err = toRotationError(e, { server: serverId });
      if (err.details.statusCode === 404) return false;
      throw err;
    }
  }

  async getEncryptionProtector(serverId: string): Promise<EncryptionProtector> {
    const s = parseServerId(serverId);
    try {
      const p = await this.#clients
        .forSubscription(s.subscriptionId)
        .encryptionProtectors.get(s.resourceGroup, s.serverName, 'current');
      return {
        serverKeyName: p.serverKeyName ?? '',
        serverKeyType: p.serverKeyType === 'AzureKeyVault' ? 'AzureKeyVault' : 'ServiceManaged',
        ...(p.uri ? { uri: p.uri } : {}),
        autoRotationEnabled: p.autoRotationEnabled === true,
      };
    } catch (e) {
      throw toRotationError(e, { server: serverId });
    }
  }

  async setEncryptionProtector(serverId: string, serverKeyName: string, autoRotationEnabled: boolean): Promise<void> {
    const s = parseServerId(serverId);
    try {
      await this.#clients
        .forSubscription(s.subscriptionId)
        .encryptionProtectors.beginCreateOrUpdateAndWait(
          s.resourceGroup,
          s.serverName,
          'current',
          { serverKeyName, serverKeyType: 'AzureKeyVault', autoRotationEnabled },
          this.#pollOptions,
        );
    } catch (e) {
      throw toRotationError(e, { server: serverId });
    }
  }

  async listServers(scope: string): Promise<string[]> {
    const sc = parseScope(scope);
    const client = this.#clients.forSubscription(sc.subscriptionId);
    const ids: string[] = [];
    try {
      const pages =
        sc.resourceGroup === undefined ? client.servers.list() : client.servers.listByResourceGroup(sc.resourceGroup);
      for await (const server of pages) {
        if (server.id) ids.push(server.id);
      }
    } catch (e) {
      throw toRotationError(e, { server: scope });
    }
    return ids;
  }
}
