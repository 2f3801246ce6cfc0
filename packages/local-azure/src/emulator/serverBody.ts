/**
 * Microsoft.Sql server resources as ARM returns them (the shapes of the ServerGet, ServerKeyGet,
 * EncryptionProtectorGet and SyncAgentGet examples in ../shared/vectors), and the key properties managed instances
 * share.
 */
import type { ServerKeyState, ServerState, SyncAgentState } from './serverState.js';
import { observeSyncAgent } from './syncAgentSimulation.js';

/** A logical server as the ServerGet example shows it. */
export function serverBody(s: ServerState): unknown {
  const protectorKey = s.keys.get(s.protector.serverKeyName.toLowerCase());
  const properties: Record<string, unknown> = {
    administratorLogin: 'sqladmin',
    version: '12.0',
    state: 'Ready',
    fullyQualifiedDomainName: `${s.name}.database.windows.net`,
    privateEndpointConnections: [],
    publicNetworkAccess: 'Enabled',
    restrictOutboundNetworkAccess: 'Disabled',
  };
  if (s.protector.serverKeyType === 'AzureKeyVault' && protectorKey?.uri) properties['keyId'] = protectorKey.uri;
  return { name: s.name, type: 'Microsoft.Sql/servers', id: s.id, kind: 'v12.0', location: s.location, properties };
}

/** A server key as the ServerKeyGet example shows it. */
export function serverKeyBody(s: ServerState, k: ServerKeyState): unknown {
  const properties = serverKeyProperties(k, k.subregion ?? s.location);
  return {
    name: k.name,
    type: 'Microsoft.Sql/servers/keys',
    id: `${s.id}/keys/${k.name}`,
    kind: k.serverKeyType === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged',
    location: displayLocation(s.location),
    properties,
  };
}

/** The encryption protector as the EncryptionProtectorGet example shows it. */
export function serverProtectorBody(s: ServerState): unknown {
  const p = s.protector;
  const key = s.keys.get(p.serverKeyName.toLowerCase());
  const properties: Record<string, unknown> = { serverKeyName: p.serverKeyName, serverKeyType: p.serverKeyType, autoRotationEnabled: p.autoRotationEnabled, subregion: s.location };
  if (p.serverKeyType === 'AzureKeyVault' && key) {
    properties['uri'] = key.uri;
    properties['thumbprint'] = key.thumbprint;
  }
  return {
    name: 'current',
    type: 'Microsoft.Sql/servers/encryptionProtector',
    id: `${s.id}/encryptionProtector/current`,
    kind: p.serverKeyType === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged',
    location: displayLocation(s.location),
    properties,
  };
}

/** A sync agent as the SyncAgentGet example shows it, in its state at `nowMs`. */
export function syncAgentBody(s: ServerState, a: SyncAgentState, nowMs: number): unknown {
  const view = observeSyncAgent(a, nowMs);
  return {
    name: a.name,
    type: 'Microsoft.Sql/servers/syncAgents',
    id: `${s.id}/syncAgents/${a.name}`,
    properties: {
      name: a.name,
      syncDatabaseId: a.syncDatabaseId,
      ...(view.lastAliveTime === undefined ? {} : { lastAliveTime: new Date(view.lastAliveTime).toISOString() }),
      state: view.state,
      isUpToDate: true,
      expiryTime: '9999-12-31T23:59:59.9999999Z',
      version: a.version,
    },
  };
}

/** A server (or instance) key's `properties`: the Key Vault fields only for a Key Vault key; `subregion` when given. */
export function serverKeyProperties(k: ServerKeyState, subregion?: string): Record<string, unknown> {
  const properties: Record<string, unknown> = { serverKeyType: k.serverKeyType };
  if (k.serverKeyType === 'AzureKeyVault') {
    properties['uri'] = k.uri;
    properties['thumbprint'] = k.thumbprint;
    properties['creationDate'] = k.creationDate;
    if (subregion !== undefined) properties['subregion'] = subregion;
    properties['autoRotationEnabled'] = k.autoRotationEnabled;
  }
  return properties;
}

/** Key Vault keys first, then ServiceManaged, as the service lists them (see the azure-cli recording). */
export function keysServiceManagedLast(s: ServerState): ServerKeyState[] {
  const keys = [...s.keys.values()];
  return [...keys.filter((k) => k.serverKeyType !== 'ServiceManaged'), ...keys.filter((k) => k.serverKeyType === 'ServiceManaged')];
}


/** The display name ARM shows for a region (`westeurope` -> `West Europe`). */
export function displayLocation(location: string): string {
  return DISPLAY_LOCATIONS[location.toLowerCase()] ?? location;
}

const DISPLAY_LOCATIONS: Record<string, string> = {
  westeurope: 'West Europe',
  northeurope: 'North Europe',
  eastus: 'East US',
  eastus2: 'East US 2',
  westus: 'West US',
  westus2: 'West US 2',
  japaneast: 'Japan East',
  uksouth: 'UK South',
  swedencentral: 'Sweden Central',
};
