/**
 * The emulator's mutable state: SQL servers (keys, protector, geo links, sync agents) and vaults (key versions,
 * secrets), indexed by maps so each request costs O(1) lookups. Tests read and change it directly.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Estate, EstateKeyVersion } from '../estate/estate.js';
import type { SyncAgentPickup } from './syncAgentSimulation.js';

/** Server key type as ARM spells it. */
export type ServerKeyType = 'AzureKeyVault' | 'ServiceManaged';

export interface ServerKeyState {
  name: string;
  serverKeyType: ServerKeyType;
  uri?: string;
  thumbprint?: string;
  creationDate?: string;
  subregion?: string;
  autoRotationEnabled: boolean;
}

export interface ProtectorState {
  serverKeyName: string;
  serverKeyType: ServerKeyType;
  autoRotationEnabled: boolean;
}

export interface SyncAgentState {
  readonly name: string;
  syncDatabaseId: string;
  state: string;
  version: string;
  /** The key most recently returned by generateKey (undefined until the first one). Never log it. */
  currentKey?: string;
  /** How many keys were generated (each invalidates the previous one). */
  keyGeneration: number;
  /** The key generation the agent's host last submitted (0 = the key it was set up with). */
  submittedGeneration: number;
  /** What the host does with a new key (see syncAgentSimulation.ts); default: never picks it up. */
  pickup: SyncAgentPickup;
  /** Epoch ms the agent was last connected, while it is not (undefined: never connected). */
  lastAliveAt?: number | undefined;
  /** Epoch ms the host will submit the current key. */
  pickupAt?: number | undefined;
}

export interface ServerState {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  /** ARM id, as ARM spells it. */
  readonly id: string;
  /** By lower-cased key name. */
  readonly keys: Map<string, ServerKeyState>;
  protector: ProtectorState;
  geoPrimary?: ServerState;
  readonly geoSecondaries: ServerState[];
  /** By lower-cased agent name. */
  readonly syncAgents: Map<string, SyncAgentState>;
  /** By lower-cased database name (user databases; key rotation reads those with a database-level protector). */
  readonly databases: Map<string, DatabaseState>;
}

/** A SQL Managed Instance: keys and protector as a logical server's; geo links are instance failover groups. */
export interface ManagedInstanceState {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly id: string;
  /** By lower-cased key name. */
  readonly keys: Map<string, ServerKeyState>;
  protector: ProtectorState;
  geoPrimary?: ManagedInstanceState;
  readonly geoSecondaries: ManagedInstanceState[];
}

/** One entry of a database's `keys` map. */
export interface DatabaseKeyState {
  readonly uri: string;
  readonly thumbprint: string;
  readonly creationDate: string;
}

/** A database of a logical server, with its database-level keys and protector (both absent: it follows its server). */
export interface DatabaseState {
  readonly name: string;
  readonly id: string;
  readonly server: ServerState;
  /** By lower-cased key URI. */
  readonly keys: Map<string, DatabaseKeyState>;
  /** Key URI of the database-level protector. */
  encryptionProtector?: string;
  encryptionProtectorAutoRotation: boolean;
  /**
   * Active transactions still hold log encrypted with the old key: a protector change is refused with 400
   * `PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse` until a test clears it.
   */
  oldThumbprintInUse: boolean;
  geoPrimary?: DatabaseState;
  readonly geoSecondaries: DatabaseState[];
}

export interface KeyVersionState {
  readonly version: string;
  readonly kty: string;
  readonly keySize: number;
  /** Base64url RSA modulus (random bytes, top bit set, keySize/8 long). */
  readonly n: string;
  keyOps: string[];
  enabled: boolean;
  /** Unix seconds. */
  readonly created: number;
  updated: number;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

export interface VaultKeyState {
  readonly name: string;
  /** Oldest first; the last is the current version. */
  readonly versions: KeyVersionState[];
  /** By lower-cased version. */
  readonly byVersion: Map<string, KeyVersionState>;
}

export interface SecretVersionState {
  readonly version: string;
  readonly value: string;
  contentType?: string;
  enabled: boolean;
  readonly created: number;
  updated: number;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

export interface VaultSecretState {
  readonly name: string;
  readonly versions: SecretVersionState[];
  readonly byVersion: Map<string, SecretVersionState>;
}

export interface VaultState {
  readonly name: string;
  readonly kind: 'vault' | 'managedHsm';
  /** ARM id of the vault (the Event Grid topic). */
  readonly armId: string;
  readonly location: string;
  /** By lower-cased key name. */
  readonly keys: Map<string, VaultKeyState>;
  /** By lower-cased secret name. */
  readonly secrets: Map<string, VaultSecretState>;
}

export const DEFAULT_KEY_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

/** Unix seconds from an ISO string or a number. */
export function toUnixSeconds(t: string | number | undefined): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`invalid time ${t}`);
  return Math.floor(ms / 1000);
}

/** 32 lowercase hex characters, like Key Vault object versions. */
export function newVersion(): string {
  return randomUUID().replace(/-/g, '');
}

/** A random RSA modulus of the given size: enough for clients that compute the key size from `n`. */
export function randomModulus(keySize: number): string {
  const bytes = randomBytes(Math.max(1, Math.ceil(keySize / 8)));
  bytes[0] = (bytes[0] ?? 0) | 0x80;
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) | 0x01;
  return bytes.toString('base64url');
}

/** Upper-case hex SHA-1 over the modulus: stands in for the key thumbprint SQL shows. */
export function thumbprintOf(n: string): string {
  return createHash('sha1').update(n).digest('hex').toUpperCase();
}

/** Parses `https://{vault}.{suffix}/keys/{name}[/{version}]`; undefined when not a key URI. */
export function parseKeyUri(uri: string): { vault: string; host: string; name: string; version?: string } | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:') return undefined;
  const host = u.hostname.toLowerCase();
  if (!/\.(vault|managedhsm)\.(azure\.net|azure\.cn|usgovcloudapi\.net)$/.test(host)) return undefined;
  const m = /^\/keys\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-fA-F]{32}))?\/?$/.exec(u.pathname);
  if (!m?.[1]) return undefined;
  const vault = host.split('.')[0] ?? '';
  return m[2] ? { vault, host, name: m[1], version: m[2] } : { vault, host, name: m[1] };
}

/** The server key name SQL requires for a Key Vault key: `{vault}_{key}_{version}` or `{vault}_{key}`. */
export function serverKeyNameFor(uri: string): string | undefined {
  const k = parseKeyUri(uri);
  if (!k) return undefined;
  return k.version ? `${k.vault}_${k.name}_${k.version}` : `${k.vault}_${k.name}`;
}

function serverKey(sub: string, rg: string, name: string): string {
  return `${sub}/${rg}/${name}`.toLowerCase();
}

/**
 * Answers Azure gives in more than one way, or only in some situations; tests pick one. Defaults: the answer the
 * emulator always gave.
 */
export interface EmulatorBehaviour {
  /**
   * GET of a disabled key version: `ok` answers 200 with `attributes.enabled: false`; `forbidden` answers 403
   * `Forbidden` with inner error `KeyDisabled`, as Key Vault does for a disabled secret
   * (`{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled key.","innererror":{"code":"KeyDisabled"}}}`;
   * the SDK shows the inner error as `details.error.innerError`).
   */
  disabledKeyGet: 'ok' | 'forbidden';
  /**
   * PUT of the encryption protector naming a version of the key in place that was created before the version in
   * place: refused with 400 `OldGenerationOfAKVKeyBeingUsedError` (true) or accepted (false).
   */
  refuseOlderProtectorVersion: boolean;
  /**
   * PUT of a server (or managed instance) key that the server already has: `accepted` starts an operation and
   * answers 202 as for a new key; `conflict` answers 409 `ServerKeyNameAlreadyExists` ("The server key already
   * exists on the server."), a refusal the ServerKeys and ManagedInstanceKeys specs (2025-01-01) list for the upsert.
   */
  repeatedKeyUpsert: 'accepted' | 'conflict';
}

/** Inspectable, modifiable emulator state. */
export class EmulatorState {
  readonly tenantId: string;
  /** See {@link EmulatorBehaviour}; tests change it directly. */
  readonly behaviour: EmulatorBehaviour = { disabledKeyGet: 'ok', refuseOlderProtectorVersion: false, repeatedKeyUpsert: 'accepted' };
  private readonly serversByKey = new Map<string, ServerState>();
  private readonly serversBySub = new Map<string, ServerState[]>();
  private readonly serversByRg = new Map<string, ServerState[]>();
  private readonly vaultsByName = new Map<string, VaultState>();
  private readonly instancesByKey = new Map<string, ManagedInstanceState>();

  constructor(estate: Estate) {
    this.tenantId = estate.tenantId;
    for (const v of estate.vaults) {
      const vault: VaultState = {
        name: v.name,
        kind: v.kind ?? 'vault',
        armId: `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/${v.kind === 'managedHsm' ? 'managedHSMs' : 'vaults'}/${v.name}`,
        location: v.location ?? 'westeurope',
        keys: new Map(),
        secrets: new Map(),
      };
      this.vaultsByName.set(v.name.toLowerCase(), vault);
      for (const k of v.keys ?? []) {
        for (const ver of k.versions) this.addKeyVersion(v.name, k.name, keyVersionFromEstate(ver));
      }
      for (const s of v.secrets ?? []) {
        for (const ver of s.versions) {
          const created = toUnixSeconds(ver.created) ?? nowSeconds();
          const sv: SecretVersionState = { version: ver.version, value: ver.value, enabled: ver.enabled ?? true, created, updated: created };
          if (ver.contentType !== undefined) sv.contentType = ver.contentType;
          this.addSecretVersion(v.name, s.name, sv);
        }
      }
    }
    const pendingGeo: [ServerState, string][] = [];
    const pendingMiGeo: [ManagedInstanceState, string][] = [];
    const pendingDbGeo: [DatabaseState, string][] = [];
    for (const sub of estate.subscriptions) {
      for (const rg of sub.resourceGroups) {
        for (const s of rg.servers) {
          const server = this.addServer(sub.id, rg.name, s.name, s.location);
          for (const k of s.keys ?? []) {
            const name = k.name ?? serverKeyNameFor(k.uri);
            if (!name) throw new Error(`server ${s.name}: key uri ${k.uri} is not a Key Vault key URI`);
            this.putServerKey(server, name, k.uri, toIso(k.creationDate));
          }
          if (s.protector?.serverKeyType === 'AzureKeyVault') {
            if (!server.keys.has(s.protector.serverKeyName.toLowerCase())) {
              throw new Error(`server ${s.name}: protector key ${s.protector.serverKeyName} is not one of its keys`);
            }
            server.protector = {
              serverKeyName: s.protector.serverKeyName,
              serverKeyType: 'AzureKeyVault',
              autoRotationEnabled: s.protector.autoRotationEnabled ?? false,
            };
          }
          for (const a of s.syncAgents ?? []) {
            server.syncAgents.set(a.name.toLowerCase(), {
              name: a.name,
              syncDatabaseId: `${server.id}/databases/${a.syncDatabase ?? 'syncdb'}`,
              state: a.state ?? 'Online',
              version: '4.2.0.0',
              keyGeneration: 0,
              submittedGeneration: 0,
              pickup: a.pickupAfterSeconds === undefined ? { kind: 'never' } : { kind: 'after', seconds: a.pickupAfterSeconds },
              ...(a.lastAliveTime === undefined ? {} : { lastAliveAt: Date.parse(a.lastAliveTime) }),
            });
          }
          if (s.geoSecondaryOf) pendingGeo.push([server, s.geoSecondaryOf]);
          for (const d of s.databases ?? []) {
            const db = this.addDatabase(server, d.name);
            for (const uri of d.keys ?? []) this.putDatabaseKey(db, uri);
            if (d.encryptionProtector !== undefined) {
              if (!db.keys.has(d.encryptionProtector.toLowerCase())) throw new Error(`database ${d.name}: protector ${d.encryptionProtector} is not one of its keys`);
              db.encryptionProtector = d.encryptionProtector;
            }
            db.encryptionProtectorAutoRotation = d.encryptionProtectorAutoRotation ?? false;
            if (d.geoSecondaryOf) pendingDbGeo.push([db, d.geoSecondaryOf]);
          }
        }
        for (const m of rg.managedInstances ?? []) {
          const mi = this.addManagedInstance(sub.id, rg.name, m.name, m.location);
          for (const k of m.keys ?? []) {
            const name = k.name ?? serverKeyNameFor(k.uri);
            if (!name) throw new Error(`managed instance ${m.name}: key uri ${k.uri} is not a Key Vault key URI`);
            this.putServerKey(mi, name, k.uri, toIso(k.creationDate));
          }
          if (m.protector?.serverKeyType === 'AzureKeyVault') {
            if (!mi.keys.has(m.protector.serverKeyName.toLowerCase())) {
              throw new Error(`managed instance ${m.name}: protector key ${m.protector.serverKeyName} is not one of its keys`);
            }
            mi.protector = { serverKeyName: m.protector.serverKeyName, serverKeyType: 'AzureKeyVault', autoRotationEnabled: m.protector.autoRotationEnabled ?? false };
            for (const k of mi.keys.values()) k.autoRotationEnabled = k.name.toLowerCase() === mi.protector.serverKeyName.toLowerCase() && mi.protector.autoRotationEnabled;
          }
          if (m.geoSecondaryOf) pendingMiGeo.push([mi, m.geoSecondaryOf]);
        }
      }
    }
    for (const [secondary, ref] of pendingGeo) {
      const primary = this.resolveServerRef(secondary.subscriptionId, ref);
      if (!primary) throw new Error(`server ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
      this.linkGeo(primary, secondary);
    }
    for (const [secondary, ref] of pendingMiGeo) {
      const [rg, name] = ref.split('/');
      const primary = rg && name ? this.managedInstance(secondary.subscriptionId, rg, name) : undefined;
      if (!primary) throw new Error(`managed instance ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
      secondary.geoPrimary = primary;
      primary.geoSecondaries.push(secondary);
    }
    for (const [secondary, ref] of pendingDbGeo) {
      const [rg, serverName, dbName] = ref.split('/');
      const primary = rg && serverName && dbName ? this.server(secondary.server.subscriptionId, rg, serverName)?.databases.get(dbName.toLowerCase()) : undefined;
      if (!primary) throw new Error(`database ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
      secondary.geoPrimary = primary;
      primary.geoSecondaries.push(secondary);
    }
  }

  /** Adds an empty server (ServiceManaged protector). Used by the estate loader and by benchmarks. */
  addServer(subscriptionId: string, resourceGroup: string, name: string, location: string): ServerState {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/servers/${name}`;
    const server: ServerState = {
      subscriptionId,
      resourceGroup,
      name,
      location,
      id,
      keys: new Map([['servicemanaged', { name: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false }]]),
      protector: { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false },
      geoSecondaries: [],
      syncAgents: new Map(),
      databases: new Map(),
    };
    const key = serverKey(subscriptionId, resourceGroup, name);
    if (this.serversByKey.has(key)) throw new Error(`duplicate server ${id}`);
    this.serversByKey.set(key, server);
    pushTo(this.serversBySub, subscriptionId.toLowerCase(), server);
    pushTo(this.serversByRg, `${subscriptionId}/${resourceGroup}`.toLowerCase(), server);
    return server;
  }

  /** Adds a managed instance (ServiceManaged protector). */
  addManagedInstance(subscriptionId: string, resourceGroup: string, name: string, location: string): ManagedInstanceState {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/managedInstances/${name}`;
    const mi: ManagedInstanceState = {
      subscriptionId,
      resourceGroup,
      name,
      location,
      id,
      keys: new Map([['servicemanaged', { name: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false }]]),
      protector: { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false },
      geoSecondaries: [],
    };
    const key = serverKey(subscriptionId, resourceGroup, name);
    if (this.instancesByKey.has(key)) throw new Error(`duplicate managed instance ${id}`);
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
    secondary.geoPrimary = primary;
    primary.geoSecondaries.push(secondary);
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
    const vault = this.vault(vaultName);
    if (!vault) throw new Error(`unknown vault ${vaultName}`);
    let key = vault.keys.get(keyName.toLowerCase());
    if (!key) {
      key = { name: keyName, versions: [], byVersion: new Map() };
      vault.keys.set(keyName.toLowerCase(), key);
    }
    key.versions.push(version);
    key.byVersion.set(version.version.toLowerCase(), version);
  }

  /** Appends a secret version (it becomes the current one). */
  addSecretVersion(vaultName: string, secretName: string, version: SecretVersionState): void {
    const vault = this.vault(vaultName);
    if (!vault) throw new Error(`unknown vault ${vaultName}`);
    let secret = vault.secrets.get(secretName.toLowerCase());
    if (!secret) {
      secret = { name: secretName, versions: [], byVersion: new Map() };
      vault.secrets.set(secretName.toLowerCase(), secret);
    }
    secret.versions.push(version);
    secret.byVersion.set(version.version.toLowerCase(), version);
  }

  /** The current (latest) value of a secret, or undefined. */
  currentSecretValue(vaultName: string, secretName: string): string | undefined {
    const s = this.vault(vaultName)?.secrets.get(secretName.toLowerCase());
    return s?.versions[s.versions.length - 1]?.value;
  }

  private resolveServerRef(subscriptionId: string, ref: string): ServerState | undefined {
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)$/i.exec(ref);
    if (m?.[1] && m[2] && m[3]) return this.server(m[1], m[2], m[3]);
    const [rg, name] = ref.split('/');
    return rg && name ? this.server(subscriptionId, rg, name) : undefined;
  }
}

/** Builds a key version from its estate description (random modulus of the right size). */
export function keyVersionFromEstate(v: EstateKeyVersion): KeyVersionState {
  const created = toUnixSeconds(v.created) ?? nowSeconds();
  const keySize = v.size ?? 2048;
  const kv: KeyVersionState = {
    version: v.version.toLowerCase(),
    kty: v.kty ?? 'RSA',
    keySize,
    n: randomModulus(keySize),
    keyOps: [...DEFAULT_KEY_OPS],
    enabled: v.enabled ?? true,
    created,
    updated: created,
  };
  const nbf = toUnixSeconds(v.nbf);
  const exp = toUnixSeconds(v.exp);
  if (nbf !== undefined) kv.nbf = nbf;
  if (exp !== undefined) kv.exp = exp;
  return kv;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function toIso(t: string | number | undefined): string | undefined {
  const s = toUnixSeconds(t);
  return s === undefined ? undefined : new Date(s * 1000).toISOString();
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
