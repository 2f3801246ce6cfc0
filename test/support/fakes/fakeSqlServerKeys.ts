import type { EncryptionProtector, SqlServerKeys } from '../../../src/app/ports.js';
import { targetKindOf } from '../../../src/domain/armId.js';
import { RotationError } from '../../../src/domain/errors.js';
import { Faults } from './faults.js';

interface FakeServer {
  keys: Map<string, string>;
  protector: EncryptionProtector;
}

/**
 * In-memory logical servers: server keys and the TDE protector. Records every write in `writes`, in order.
 * Faults: `upsertFaults` / `protectorFaults` keyed by server id.
 */
export class FakeSqlServerKeys implements SqlServerKeys {
  readonly upsertFaults = new Faults();
  readonly protectorFaults = new Faults();
  /** Faults of the reads (getEncryptionProtector, hasServerKey), keyed by server id. */
  readonly readFaults = new Faults();
  readonly writes: { op: 'upsertKey' | 'setProtector'; server: string; name: string }[] = [];
  readonly #servers = new Map<string, FakeServer>();

  /** Sets a server's protector as someone else would (Azure auto-rotation, an operator). */
  setProtector(id: string, protector: EncryptionProtector): void {
    this.#server(id).protector = protector;
  }

  addServer(id: string, protector: EncryptionProtector, keys: Record<string, string> = {}): this {
    this.#servers.set(id.toLowerCase(), { keys: new Map(Object.entries(keys)), protector });
    return this;
  }

  protector(id: string): EncryptionProtector {
    return this.#server(id).protector;
  }

  keys(id: string): string[] {
    return [...this.#server(id).keys.keys()];
  }

  upsertServerKey(serverId: string, serverKeyName: string, keyUri: string): Promise<void> {
    const fault = this.upsertFaults.take(serverId);
    if (fault) return Promise.reject(fault);
    this.#server(serverId).keys.set(serverKeyName, keyUri);
    this.writes.push({ op: 'upsertKey', server: serverId, name: serverKeyName });
    return Promise.resolve();
  }

  hasServerKey(serverId: string, serverKeyName: string): Promise<boolean> {
    const fault = this.readFaults.take(serverId);
    if (fault) return Promise.reject(fault);
    return Promise.resolve(this.#server(serverId).keys.has(serverKeyName));
  }

  getEncryptionProtector(serverId: string): Promise<EncryptionProtector> {
    const fault = this.readFaults.take(serverId);
    if (fault) return Promise.reject(fault);
    return Promise.resolve({ ...this.#server(serverId).protector });
  }

  setEncryptionProtector(serverId: string, serverKeyName: string, autoRotationEnabled: boolean, keyUri?: string): Promise<void> {
    const fault = this.protectorFaults.take(serverId);
    if (fault) return Promise.reject(fault);
    const s = this.#server(serverId);
    // A database takes a key and its protector in one update; servers and instances ignore keyUri (see the port).
    if (keyUri !== undefined && targetKindOf(serverId) === 'database' && !s.keys.has(serverKeyName)) s.keys.set(serverKeyName, keyUri);
    const uri = s.keys.get(serverKeyName);
    if (uri === undefined) {
      return Promise.reject(new RotationError('ServerKeyDoesNotExists', 'terminal', `no server key ${serverKeyName}`));
    }
    s.protector = { serverKeyName, serverKeyType: 'AzureKeyVault', uri, autoRotationEnabled };
    this.writes.push({ op: 'setProtector', server: serverId, name: serverKeyName });
    return Promise.resolve();
  }

  #server(id: string): FakeServer {
    const s = this.#servers.get(id.toLowerCase());
    if (!s) throw new RotationError('ResourceNotFound', 'terminal', `server ${id} not found`, { details: { statusCode: 404 } });
    return s;
  }
}
