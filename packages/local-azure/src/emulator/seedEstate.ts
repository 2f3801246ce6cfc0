/**
 * Fills an emulator's state from an estate (see ../estate/estate.ts): vaults with their key and secret versions,
 * then servers (keys, protector, sync agents, databases) and managed instances, then the geo links, which may name
 * resources that come later in the estate.
 */
import type { Estate, EstateKeyVersion, EstateManagedInstance, EstateProtector, EstateServer, EstateServerKey, EstateVault } from '../estate/estate.js';
import type { EmulatorState } from './emulatorState.js';
import { makeKeyVersion } from './makeKeyVersion.js';
import { serverKeyNameFor } from './parseKeyUri.js';
import { linkGeo, type DatabaseState, type ManagedInstanceState, type ServerState } from './serverState.js';
import type { KeyVersionState, SecretVersionState } from './vaultState.js';

/** Geo links to make once every resource exists: the secondary and how the estate names its primary. */
interface PendingGeoLinks {
  readonly servers: [ServerState, string][];
  readonly instances: [ManagedInstanceState, string][];
  readonly databases: [DatabaseState, string][];
}

/** Adds the estate's resources to `state`. @throws Error naming the resource when the estate contradicts itself. */
export function seedEstate(state: EmulatorState, estate: Estate): void {
  for (const v of estate.vaults) seedVault(state, v);
  const pending: PendingGeoLinks = { servers: [], instances: [], databases: [] };
  for (const sub of estate.subscriptions) {
    for (const rg of sub.resourceGroups) {
      for (const s of rg.servers) seedServer(state, sub.id, rg.name, s, pending);
      for (const m of rg.managedInstances ?? []) seedManagedInstance(state, sub.id, rg.name, m, pending);
    }
  }
  for (const [secondary, ref] of pending.servers) {
    const primary = resolveServerRef(state, secondary.subscriptionId, ref);
    if (!primary) throw new Error(`server ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
    linkGeo(primary, secondary);
  }
  for (const [secondary, ref] of pending.instances) {
    const [rg, name] = ref.split('/');
    const primary = rg && name ? state.managedInstance(secondary.subscriptionId, rg, name) : undefined;
    if (!primary) throw new Error(`managed instance ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
    linkGeo(primary, secondary);
  }
  for (const [secondary, ref] of pending.databases) {
    const [rg, serverName, dbName] = ref.split('/');
    const primary = rg && serverName && dbName ? state.server(secondary.server.subscriptionId, rg, serverName)?.databases.get(dbName.toLowerCase()) : undefined;
    if (!primary) throw new Error(`database ${secondary.name}: geoSecondaryOf ${ref} is unknown`);
    linkGeo(primary, secondary);
  }
}

/** Builds a key version from its estate description (random modulus of the right size). */
export function keyVersionFromEstate(v: EstateKeyVersion): KeyVersionState {
  const nbf = toUnixSeconds(v.nbf);
  const exp = toUnixSeconds(v.exp);
  return makeKeyVersion(
    {
      version: v.version.toLowerCase(),
      ...(v.kty === undefined ? {} : { kty: v.kty }),
      ...(v.size === undefined ? {} : { keySize: v.size }),
      ...(v.enabled === undefined ? {} : { enabled: v.enabled }),
      ...(nbf === undefined ? {} : { nbf }),
      ...(exp === undefined ? {} : { exp }),
    },
    toUnixSeconds(v.created) ?? nowSeconds(),
  );
}

function seedVault(state: EmulatorState, v: EstateVault): void {
  state.addVault({
    name: v.name,
    kind: v.kind ?? 'vault',
    armId: `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/${v.kind === 'managedHsm' ? 'managedHSMs' : 'vaults'}/${v.name}`,
    location: v.location ?? 'westeurope',
    keys: new Map(),
    secrets: new Map(),
  });
  for (const k of v.keys ?? []) {
    for (const ver of k.versions) state.addKeyVersion(v.name, k.name, keyVersionFromEstate(ver));
  }
  for (const s of v.secrets ?? []) {
    for (const ver of s.versions) {
      const created = toUnixSeconds(ver.created) ?? nowSeconds();
      const sv: SecretVersionState = { version: ver.version, value: ver.value, enabled: ver.enabled ?? true, created, updated: created };
      if (ver.contentType !== undefined) sv.contentType = ver.contentType;
      state.addSecretVersion(v.name, s.name, sv);
    }
  }
}

function seedServer(state: EmulatorState, subscriptionId: string, resourceGroup: string, s: EstateServer, pending: PendingGeoLinks): void {
  const server = state.addServer(subscriptionId, resourceGroup, s.name, s.location);
  seedKeys(state, server, `server ${s.name}`, s.keys, s.protector);
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
  if (s.geoSecondaryOf) pending.servers.push([server, s.geoSecondaryOf]);
  for (const d of s.databases ?? []) {
    const db = state.addDatabase(server, d.name);
    for (const uri of d.keys ?? []) state.putDatabaseKey(db, uri);
    if (d.encryptionProtector !== undefined) {
      if (!db.keys.has(d.encryptionProtector.toLowerCase())) throw new Error(`database ${d.name}: protector ${d.encryptionProtector} is not one of its keys`);
      db.encryptionProtector = d.encryptionProtector;
    }
    db.encryptionProtectorAutoRotation = d.encryptionProtectorAutoRotation ?? false;
    if (d.geoSecondaryOf) pending.databases.push([db, d.geoSecondaryOf]);
  }
}

function seedManagedInstance(state: EmulatorState, subscriptionId: string, resourceGroup: string, m: EstateManagedInstance, pending: PendingGeoLinks): void {
  const mi = state.addManagedInstance(subscriptionId, resourceGroup, m.name, m.location);
  seedKeys(state, mi, `managed instance ${m.name}`, m.keys, m.protector);
  // An instance's keys report the protector's auto-rotation (a logical server's keep the value they were added with).
  if (mi.protector.serverKeyType === 'AzureKeyVault') {
    for (const k of mi.keys.values()) k.autoRotationEnabled = k.name.toLowerCase() === mi.protector.serverKeyName.toLowerCase() && mi.protector.autoRotationEnabled;
  }
  if (m.geoSecondaryOf) pending.instances.push([mi, m.geoSecondaryOf]);
}

/** A server's or instance's keys, then its protector on one of them. */
function seedKeys(
  state: EmulatorState,
  target: ServerState | ManagedInstanceState,
  what: string,
  keys: readonly EstateServerKey[] | undefined,
  protector: EstateProtector | undefined,
): void {
  for (const k of keys ?? []) {
    const name = k.name ?? serverKeyNameFor(k.uri);
    if (!name) throw new Error(`${what}: key uri ${k.uri} is not a Key Vault key URI`);
    state.putServerKey(target, name, k.uri, toIso(k.creationDate));
  }
  if (protector?.serverKeyType !== 'AzureKeyVault') return;
  if (!target.keys.has(protector.serverKeyName.toLowerCase())) throw new Error(`${what}: protector key ${protector.serverKeyName} is not one of its keys`);
  target.protector = { serverKeyName: protector.serverKeyName, serverKeyType: 'AzureKeyVault', autoRotationEnabled: protector.autoRotationEnabled ?? false };
}

/** A server named by ARM id, or by `{rg}/{name}` in the secondary's subscription. */
function resolveServerRef(state: EmulatorState, subscriptionId: string, ref: string): ServerState | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)$/i.exec(ref);
  if (m?.[1] && m[2] && m[3]) return state.server(m[1], m[2], m[3]);
  const [rg, name] = ref.split('/');
  return rg && name ? state.server(subscriptionId, rg, name) : undefined;
}

/** Unix seconds from an ISO string or a number. */
function toUnixSeconds(t: string | number | undefined): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`invalid time ${t}`);
  return Math.floor(ms / 1000);
}

function toIso(t: string | number | undefined): string | undefined {
  const s = toUnixSeconds(t);
  return s === undefined ? undefined : new Date(s * 1000).toISOString();
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
