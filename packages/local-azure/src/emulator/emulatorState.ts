/**
 * The emulator's mutable state: SQL servers, managed instances and databases (serverState.ts) and vaults
 * (vaultState.ts), indexed by maps so each request costs O(1) lookups; seeded from an estate (seedEstate.ts). Tests
 * read and change it directly.
 */
import type { Estate } from '../estate/estate.js';
import { defaultBehaviour, type EmulatorBehaviour } from './emulatorBehaviour.js';
import { thumbprintOf } from './makeKeyVersion.js';
import { parseKeyUri } from './parseKeyUri.js';
import { seedEstate } from './seedEstate.js';
import { linkGeo, type DatabaseKeyState, type DatabaseState, type ManagedInstanceState, type ServerKeyState, type ServerState, type SqlHostState } from './serverState.js';
import { appendVersion, type KeyVersionState, type SecretVersionState, type VaultState } from './vaultState.js';

/** Inspectable, modifiable emulator state. */
export class EmulatorState {
  readonly tenantId: string;
  /** See {@link EmulatorBehaviour}; tests change it directly. */
  readonly behaviour: EmulatorBehaviour = defaultBehaviour();
  private readonly serversByKey = new Map<string, ServerState>();
  private readonly serversBySub = new Map<string, ServerState[]>();
  private readonly serversByRg = new Map<string, ServerState[]>();
  private readonly vaultsByName = new Map<string, VaultState>();
  private readonly instancesByKey = new Map<string, ManagedInstanceState>();

  constructor(estate: Estate) {
    this.tenantId = estate.tenantId;
    seedEstate(this, estate);
  }

  /** Adds an empty server (ServiceManaged protector). Used by the estate loader and by benchmarks. */
  addServer(subscriptionId: string, resourceGroup: string, name: string, location: string): ServerState {
    const server: ServerState = { ...newHost<ServerState>(subscriptionId, resourceGroup, name, location, 'servers'), syncAgents: new Map(), databases: new Map() };
    const key = serverKey(subscriptionId, resourceGroup, name);
    if (this.serversByKey.has(key)) throw new Error(`duplicate server ${server.id}`);
    this.serversByKey.set(key, server);
    pushTo(this.serversBySub, subscriptionId.toLowerCase(), server);
    pushTo(this.serversByRg, `${subscriptionId}/${resourceGroup}`.toLowerCase(), server);
    return server;
  }

  /** Adds a managed instance (ServiceManaged protector). */
  addManagedInstance(subscriptionId: string, resourceGroup: string, name: string, location: string): ManagedInstanceState {
    const mi: ManagedInstanceState = newHost<ManagedInstanceState>(subscriptionId, resourceGroup, name, location, 'managedInstances');
    const key = serverKey(subscriptionId, resourceGroup, name);
    if (this.instancesByKey.has(key)) throw new Error(`duplicate managed instance ${mi.id}`);
    this.instancesByKey.set(key, mi);
    return mi;
  }

  /** One managed instance, or undefined (names compare case-insensitively). */
  managedInstance(subscriptionId: string, resourceGroup: string, name: string): ManagedInstanceState | undefined {
    return this.instancesByKey.get(serverKey(subscriptionId, resourceGroup, name));
  }

  /** Every managed instance. */
  allManagedInstances(): IterableIterator<ManagedInstanceState> {
    return this.instancesByKey.values();
  }

  /** The managed instances of a subscription, or of one of its resource groups. */
  managedInstancesIn(subscriptionId: string, resourceGroup?: string): ManagedInstanceState[] {
    return [...this.instancesByKey.values()].filter(
      (m) => m.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && (resourceGroup === undefined || m.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  /** Adds a user database to a server (no database-level key). */
  addDatabase(server: ServerState, name: string): DatabaseState {
    const db: DatabaseState = {
      name,
      id: `${server.id}/databases/${name}`,
      server,
      keys: new Map(),
      encryptionProtectorAutoRotation: false,
      oldThumbprintInUse: false,
      geoSecondaries: [],
    };
    if (server.databases.has(name.toLowerCase())) throw new Error(`duplicate database ${db.id}`);
    server.databases.set(name.toLowerCase(), db);
    return db;
  }

  /** Adds a key URI to a database's `keys` (thumbprint from the vault's key material when known). */
  putDatabaseKey(db: DatabaseState, uri: string): DatabaseKeyState {
    const parsed = parseKeyUri(uri);
    const version = parsed ? this.keyVersion(parsed.vault, parsed.name, parsed.version) : undefined;
    const existing = db.keys.get(uri.toLowerCase());
    const key: DatabaseKeyState = { uri, thumbprint: thumbprintOf(version?.n ?? uri), creationDate: existing?.creationDate ?? new Date().toISOString() };
    db.keys.set(uri.toLowerCase(), key);
    return key;
  }

  /** Makes `secondary` the geo secondary of `primary`. */
  linkGeo(primary: ServerState, secondary: ServerState): void {
    linkGeo(primary, secondary);
  }

  /** One server, or undefined. Names compare case-insensitively, as ARM does. */
  server(subscriptionId: string, resourceGroup: string, name: string): ServerState | undefined {
    return this.serversByKey.get(serverKey(subscriptionId, resourceGroup, name));
  }

  /** All servers of a subscription, in estate order. */
  serversInSubscription(subscriptionId: string): readonly ServerState[] {
    return this.serversBySub.get(subscriptionId.toLowerCase()) ?? [];
  }

  /** All servers of a resource group, in estate order. */
  serversInResourceGroup(subscriptionId: string, resourceGroup: string): readonly ServerState[] {
    return this.serversByRg.get(`${subscriptionId}/${resourceGroup}`.toLowerCase()) ?? [];
  }

  /** Every server. */
  allServers(): IterableIterator<ServerState> {
    return this.serversByKey.values();
  }

  /** Whether the subscription has at least one resource in the estate (servers or vaults). */
  hasSubscription(subscriptionId: string): boolean {
    return this.serversBySub.has(subscriptionId.toLowerCase());
  }

  /** Adds or replaces a server (or managed instance) key (thumbprint from the vault's key material when known). */
  putServerKey(server: Pick<ServerState, 'keys' | 'protector' | 'location'>, name: string, uri: string, creationDate?: string): ServerKeyState {
    const parsed = parseKeyUri(uri);
    const version = parsed ? this.keyVersion(parsed.vault, parsed.name, parsed.version) : undefined;
    const existing = server.keys.get(name.toLowerCase());
    const key: ServerKeyState = {
      name,
      serverKeyType: 'AzureKeyVault',
      uri,
      thumbprint: thumbprintOf(version?.n ?? uri),
      creationDate: creationDate ?? existing?.creationDate ?? new Date().toISOString(),
      subregion: server.location,
      autoRotationEnabled: server.protector.serverKeyName.toLowerCase() === name.toLowerCase() && server.protector.autoRotationEnabled,
    };
    server.keys.set(name.toLowerCase(), key);
    return key;
  }

  /** Adds a vault (or HSM pool) with the keys and secrets it holds. */
  addVault(vault: VaultState): void {
    if (this.vaultsByName.has(vault.name.toLowerCase())) throw new Error(`duplicate vault ${vault.name}`);
    this.vaultsByName.set(vault.name.toLowerCase(), vault);
  }

  /** A vault (or HSM pool) by name. */
  vault(name: string): VaultState | undefined {
    return this.vaultsByName.get(name.toLowerCase());
  }

  /** All vaults. */
  allVaults(): IterableIterator<VaultState> {
    return this.vaultsByName.values();
  }

  /** A key version (the current one when version is undefined or ''). */
  keyVersion(vaultName: string, keyName: string, version?: string): KeyVersionState | undefined {
    const key = this.vault(vaultName)?.keys.get(keyName.toLowerCase());
    if (!key) return undefined;
    if (!version) return key.versions[key.versions.length - 1];
    return key.byVersion.get(version.toLowerCase());
  }

  /** Appends a key version (it becomes the current one). */
  addKeyVersion(vaultName: string, keyName: string, version: KeyVersionState): void {
    appendVersion(this.knownVault(vaultName).keys, keyName, version);
  }

  /** Appends a secret version (it becomes the current one). */
  addSecretVersion(vaultName: string, secretName: string, version: SecretVersionState): void {
    appendVersion(this.knownVault(vaultName).secrets, secretName, version);
  }

  /** The current (latest) value of a secret, or undefined. */
  currentSecretValue(vaultName: string, secretName: string): string | undefined {
    const s = this.vault(vaultName)?.secrets.get(secretName.toLowerCase());
    return s?.versions[s.versions.length - 1]?.value;
  }

  private knownVault(name: string): VaultState {
    const vault = this.vault(name);
    if (!vault) throw new Error(`unknown vault ${name}`);
    return vault;
  }
}

/** A new server or instance: the service-managed key only, and its protector on it; no geo link. */
function newHost<T>(subscriptionId: string, resourceGroup: string, name: string, location: string, type: 'servers' | 'managedInstances'): SqlHostState<T> {
  return {
    subscriptionId,
    resourceGroup,
    name,
    location,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/${type}/${name}`,
    keys: new Map([['servicemanaged', { name: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false }]]),
    protector: { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false },
    geoSecondaries: [],
  };
}

function serverKey(sub: string, rg: string, name: string): string {
  return `${sub}/${rg}/${name}`.toLowerCase();
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
