/**
 * Azure Resource Manager, Microsoft.Sql slice: servers, server keys, the encryption protector and sync agents
 * (managed instances: armManagedInstanceRoutes.ts; databases with database-level keys: armDatabaseRoutes.ts),
 * with SQL's validation errors and ARM's long-running-operation protocol (202 + Azure-AsyncOperation + Location
 * + Retry-After, then polling), as the service recordings in ../shared/vectors show.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { armError, json, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './emulatorHttp.js';
import { parseKeyUri, type EmulatorState, type ServerKeyState, type ServerState, type SyncAgentState } from './emulatorState.js';
import { keyRegenerated, observeSyncAgent } from './syncAgentSimulation.js';
import { ArmDatabaseRoutes } from './armDatabaseRoutes.js';
import { ArmManagedInstanceRoutes } from './armManagedInstanceRoutes.js';

/** Settings of the ARM routes. */
export interface ArmSqlOptions {
  /** Retry-After on LRO answers; false sends none (as the recorded azure-cli flow shows for server keys). */
  readonly lroRetryAfterSeconds: number | false;
  /** Status polls answering InProgress before Succeeded (a minimum, on top of the duration). */
  readonly lroInProgressPolls: number;
  /**
   * How long an operation runs before its status says Succeeded, in milliseconds of the clock: one figure for
   * every kind, or per kind (`serverKey`, `encryptionProtector`, see {@link LroKind}). Default 0.
   */
  readonly operationDurationMs?: number | Readonly<Partial<Record<LroKind, number>>>;
  /** Items per page of list operations. */
  readonly pageSize: number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
}

/** A matched ARM route: its name and how to answer it. */
export interface ArmRoute {
  readonly name: string;
  /** Subscription the request is about (for the write bucket). */
  readonly subscriptionId: string;
  readonly isWrite: boolean;
  handle(): EmulatorResponse;
}

/** Kinds of long-running operation, as they appear in the operation URLs (`{kind}AzureAsyncOperation`). */
export type LroKind = 'serverKey' | 'encryptionProtector' | 'managedInstanceKey' | 'managedInstanceEncryptionProtector' | 'database';

/** Where an operation runs (its `locations/{location}` operation URLs). */
export interface OperationScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

interface Operation {
  readonly id: string;
  readonly startTime: string;
  remainingPolls: number;
  /** Clock time at which the operation has completed. */
  readonly doneAt: number;
  /** The resource as the final GET of the Location URL returns it. */
  readonly result: () => unknown;
}

const RX_SERVERS_SUB = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.sql\/servers\/?$/i;
const RX_INSTANCES_SUB = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.sql\/managedinstances\/?$/i;
const RX_RG = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.sql\/(.*)$/i;

/** Operations remembered for polling. */
const MAX_OPERATIONS = 50_000;

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

/** The Microsoft.Sql routes over an {@link EmulatorState}. */
export class ArmSqlRoutes {
  private readonly operations = new Map<string, Operation>();
  private readonly instances: ArmManagedInstanceRoutes;
  private readonly databases: ArmDatabaseRoutes;

  constructor(
    readonly state: EmulatorState,
    readonly options: ArmSqlOptions,
  ) {
    this.instances = new ArmManagedInstanceRoutes(this);
    this.databases = new ArmDatabaseRoutes(this);
  }

  /** The route for this request, or undefined when it is not a Microsoft.Sql route this emulator knows. */
  match(req: EmulatorRequest): ArmRoute | undefined {
    const path = req.url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method.toUpperCase();
    const isWrite = method !== 'GET' && method !== 'HEAD';
    const route = (name: string, subscriptionId: string, handle: () => EmulatorResponse): ArmRoute => ({ name, subscriptionId, isWrite, handle });

    let m = RX_SERVERS_SUB.exec(path + '/');
    if (m?.[1] && method === 'GET') {
      const sub = m[1];
      return route('arm.servers.list', sub, () => this.page(req, this.state.serversInSubscription(sub), (s) => this.serverBody(s)));
    }
    m = RX_INSTANCES_SUB.exec(path + '/');
    if (m?.[1] && method === 'GET') {
      const sub = m[1];
      return route('arm.managedInstances.list', sub, () => this.instances.list(req, sub));
    }
    m = RX_RG.exec(path);
    if (!m?.[1] || !m[2]) return undefined;
    const sub = m[1];
    const rg = decodeURIComponent(m[2]);
    const rest = (m[3] ?? '').split('/').map(decodeURIComponent);
    const [seg0, serverName, child, childName, action, ...extra] = rest;
    if (seg0?.toLowerCase() === 'locations' && rest.length === 4 && method === 'GET') {
      const kind = (rest[2] ?? '').toLowerCase();
      const opId = rest[3] ?? '';
      if (kind.endsWith('azureasyncoperation')) return route('arm.operations.status', sub, () => this.operationStatus(opId));
      if (kind.endsWith('operationresults')) return route('arm.operations.result', sub, () => this.operationResult(opId));
      return undefined;
    }
    if (seg0?.toLowerCase() === 'managedinstances') return this.instances.match(req, sub, rg, rest.slice(1), method, route);
    if (seg0?.toLowerCase() === 'servers' && child?.toLowerCase() === 'databases' && serverName) {
      return this.databases.match(req, sub, rg, serverName, rest.slice(3), method, route);
    }
    if (seg0?.toLowerCase() !== 'servers' || extra.length > 0) return undefined;
    if (serverName === undefined || serverName === '') {
      if (method !== 'GET') return undefined;
      return route('arm.servers.listByResourceGroup', sub, () => this.page(req, this.state.serversInResourceGroup(sub, rg), (s) => this.serverBody(s)));
    }
    const server = (): ServerState | undefined => this.state.server(sub, rg, serverName);
    const c = child?.toLowerCase();
    if (c === undefined) {
      if (method !== 'GET') return undefined;
      return route('arm.servers.get', sub, () => {
        const s = server();
        return s ? json(200, this.serverBody(s)) : notFound('Microsoft.Sql/servers', serverName, rg);
      });
    }
    const withServer = (f: (s: ServerState) => EmulatorResponse) => (): EmulatorResponse => {
      const s = server();
      return s ? f(s) : parentNotFound(serverName);
    };
    if (c === 'keys' && action === undefined) {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.serverKeys.list', sub, withServer((s) => this.page(req, keysServiceManagedLast(s), (k) => this.keyBody(s, k))));
      }
      if (method === 'GET') {
        return route('arm.serverKeys.get', sub, withServer((s) => {
          const k = s.keys.get(childName.toLowerCase());
          return k ? json(200, this.keyBody(s, k)) : notFound('Microsoft.Sql/servers/keys', `${s.name}/${childName}`, rg);
        }));
      }
      if (method === 'PUT') return route('arm.serverKeys.createOrUpdate', sub, withServer((s) => this.putServerKey(req, s, childName)));
      if (method === 'DELETE') return route('arm.serverKeys.delete', sub, withServer((s) => this.deleteServerKey(s, childName)));
      return undefined;
    }
    if (c === 'encryptionprotector' && action === undefined) {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.encryptionProtectors.list', sub, withServer((s) => json(200, { value: [this.protectorBody(s)] })));
      }
      if (method === 'GET') {
        return route('arm.encryptionProtectors.get', sub, withServer((s) =>
          childName.toLowerCase() === 'current' ? json(200, this.protectorBody(s)) : notFound('Microsoft.Sql/servers/encryptionProtector', `${s.name}/${childName}`, rg),
        ));
      }
      if (method === 'PUT') return route('arm.encryptionProtectors.createOrUpdate', sub, withServer((s) => this.putProtector(req, s, childName)));
      return undefined;
    }
    if (c === 'syncagents') {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.syncAgents.listByServer', sub, withServer((s) => this.page(req, [...s.syncAgents.values()], (a) => this.agentBody(s, a))));
      }
      const withAgent = (f: (s: ServerState, a: SyncAgentState) => EmulatorResponse) =>
        withServer((s) => {
          const a = s.syncAgents.get(childName.toLowerCase());
          return a ? f(s, a) : notFound('Microsoft.Sql/servers/syncAgents', `${s.name}/${childName}`, rg);
        });
      if (action === undefined && method === 'GET') return route('arm.syncAgents.get', sub, withAgent((s, a) => json(200, this.agentBody(s, a))));
      if (action?.toLowerCase() === 'generatekey' && method === 'POST') {
        return route('arm.syncAgents.generateKey', sub, withAgent((_s, a) => json(200, { syncAgentKey: generateSyncAgentKey(a, this.options.clock()) })));
      }
      return undefined;
    }
    return undefined;
  }

  // ---- server keys -------------------------------------------------------------------------------------------

  private putServerKey(req: EmulatorRequest, server: ServerState, keyName: string): EmulatorResponse {
    const body = parseJsonBody(req) as { properties?: { serverKeyType?: unknown; uri?: unknown } } | undefined;
    const props = body?.properties;
    if (!props || typeof props !== 'object') {
      return armError(400, 'InvalidKeyUpsertRequest', 'The create server key request does not exist or has no properties object.');
    }
    if (props.serverKeyType === 'ServiceManaged') {
      return armError(400, 'InvalidUpsertKeyType', "Service-managed TDE keys are managed by the service. Service-managed TDE keys don't support Create or Update by the user.");
    }
    if (props.serverKeyType !== 'AzureKeyVault') return armError(400, 'InvalidKeyType', 'The create server key type is not supported.');
    if (typeof props.uri !== 'string' || props.uri === '') {
      return armError(400, 'InvalidKeyUpsertRequest', 'The create server key request does not exist or has no properties object.');
    }
    const uri = props.uri;
    const parsed = parseKeyUri(uri);
    if (!parsed) return armError(400, 'AzureKeyVaultInvalidUri', 'An invalid response from Azure Key Vault. Please use a valid Azure Key Vault URI.');
    const expectedName = parsed.version ? `${parsed.vault}_${parsed.name}_${parsed.version}` : `${parsed.vault}_${parsed.name}`;
    if (expectedName.toLowerCase() !== keyName.toLowerCase()) {
      return armError(400, 'InvalidKeyName', `An invalid value was given for the server key name. Expected '${expectedName}' for uri '${uri}'.`);
    }
    const repeated = this.repeatedKeyUpsert(server, keyName);
    if (repeated) return repeated;
    const problem = this.keyMaterialProblem(server, parsed.vault, parsed.name, parsed.version);
    if (problem) return problem;
    this.state.putServerKey(server, keyName, uri);
    return this.accepted(req, server, 'serverKey', 'UpsertLogicalServerEncryptionKeys', () => {
      const k = server.keys.get(keyName.toLowerCase());
      return k ? this.keyBody(server, k) : undefined;
    });
  }

  /**
   * The refusal of a key the server (or instance) already has, when the behaviour asks for it (see
   * `EmulatorBehaviour.repeatedKeyUpsert`). The key name is derived from the URI (checked before), so the same name
   * means the same URI: `ServerKeyUriAlreadyExists` has no case of its own here.
   */
  repeatedKeyUpsert(server: Pick<ServerState, 'keys'>, keyName: string): EmulatorResponse | undefined {
    if (this.state.behaviour.repeatedKeyUpsert !== 'conflict' || !server.keys.has(keyName.toLowerCase())) return undefined;
    return armError(409, 'ServerKeyNameAlreadyExists', 'The server key already exists on the server.');
  }

  /** SQL's checks of the Key Vault key behind a server, instance or database key or protector. */
  keyMaterialProblem(server: { readonly name: string }, vaultName: string, keyName: string, version: string | undefined): EmulatorResponse | undefined {
    const vault = this.state.vault(vaultName);
    if (!vault) return armError(400, 'AkvHostNotResolvingFromNode', `AKV host '${vaultName}' is not resolvable from SQL, on server '${server.name}'.`);
    const kv = this.state.keyVersion(vaultName, keyName, version);
    if (!kv) return armError(409, 'AzureKeyVaultKeyNameNotFound', 'The operation could not be completed because the Azure Key Vault Key name does not exist.');
    if (!kv.enabled) return armError(400, 'AzureKeyVaultKeyDisabled', 'The operation could not be completed on the server because the Azure Key Vault key is disabled.');
    if (kv.exp !== undefined && kv.exp * 1000 <= this.options.clock()) {
      return armError(400, 'AzureKeyVaultInvalidExpirationDate', 'The operation could not be completed because the Azure Key Vault key expiration date is invalid.');
    }
    if ((kv.kty !== 'RSA' && kv.kty !== 'RSA-HSM') || (kv.keySize !== 2048 && kv.keySize !== 3072)) {
      return armError(400, 'AzureKeyVaultRsaKeyNotSupported', 'The provided key vault uses unsupported RSA Key Size or Key Type. The supported RSA key size is 2048 or 3072 and Key Type is RSA or RSA-HSM.');
    }
    return undefined;
  }

  private deleteServerKey(server: ServerState, keyName: string): EmulatorResponse {
    const k = server.keys.get(keyName.toLowerCase());
    if (!k) return { status: 204 };
    if (server.protector.serverKeyName.toLowerCase() === keyName.toLowerCase()) {
      return armError(400, 'AzureKeyVaultKeyNameCurrentlyInUse', `The operation could not be completed because the Azure Key Vault Key name ${k.name} is currently set as encryption protector.`);
    }
    server.keys.delete(keyName.toLowerCase());
    return { status: 200 };
  }

  // ---- encryption protector ----------------------------------------------------------------------------------

  private putProtector(req: EmulatorRequest, server: ServerState, name: string): EmulatorResponse {
    if (name.toLowerCase() !== 'current') return armError(400, 'InvalidEncryptionProtectorName', 'The encryption protector key name is not supported.');
    const body = parseJsonBody(req) as { properties?: { serverKeyName?: unknown; serverKeyType?: unknown; autoRotationEnabled?: unknown } } | undefined;
    const p = body?.properties;
    if (!p || typeof p !== 'object') return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    const autoRotationEnabled = p.autoRotationEnabled === true;
    if (p.serverKeyType === 'ServiceManaged') {
      server.protector = { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false };
      this.syncAutoRotationFlags(server);
      return this.accepted(req, server, 'encryptionProtector', 'UpsertLogicalServerEncryptionProtector', () => this.protectorBody(server));
    }
    if (p.serverKeyType !== 'AzureKeyVault') return armError(400, 'InvalidKeyType', 'The create server key type is not supported.');
    if (typeof p.serverKeyName !== 'string' || p.serverKeyName === '') {
      return armError(400, 'SecurityAzureKeyVaultUrlNullOrEmpty', 'The operation could not be completed because the Azure Key Vault Uri is null or empty.');
    }
    const keyName = p.serverKeyName;
    const key = server.keys.get(keyName.toLowerCase());
    if (!key?.uri) return armError(409, 'ServerKeyDoesNotExists', `The server key '${keyName}' does not exist.`);
    const parsed = parseKeyUri(key.uri);
    if (parsed) {
      const problem = this.keyMaterialProblem(server, parsed.vault, parsed.name, parsed.version);
      if (problem) return problem;
      if (this.state.behaviour.refuseOlderProtectorVersion && this.olderThanProtector(server, parsed)) {
        return armError(400, 'OldGenerationOfAKVKeyBeingUsedError', 'Using an old version of AKV key as TDE protector is not allowed. Please use the latest version of the AKV key as the encryption protector');
      }
    }
    for (const secondary of server.geoSecondaries) {
      if (!secondary.keys.has(keyName.toLowerCase())) {
        return armError(400, 'KeyMaterialNotFoundOnRemoteServer', `Remote server '${secondary.name}' does not have access to key material used as a TDE protector.`);
      }
    }
    server.protector = { serverKeyName: key.name, serverKeyType: 'AzureKeyVault', autoRotationEnabled };
    this.syncAutoRotationFlags(server);
    return this.accepted(req, server, 'encryptionProtector', 'UpsertLogicalServerEncryptionProtector', () => this.protectorBody(server));
  }

  /** True when the protector in place is another version of the same vault key, created after `next`. */
  olderThanProtector(server: Pick<ServerState, 'keys' | 'protector'>, next: { vault: string; name: string; version?: string }): boolean {
    const inPlace = server.protector.serverKeyType === 'AzureKeyVault' ? server.keys.get(server.protector.serverKeyName.toLowerCase()) : undefined;
    return inPlace?.uri === undefined ? false : this.olderThanKey(inPlace.uri, next);
  }

  /** True when `inPlaceUri` is another version of the same vault key, created after `next`. */
  olderThanKey(inPlaceUri: string, next: { vault: string; name: string; version?: string }): boolean {
    const current = parseKeyUri(inPlaceUri);
    if (!current?.version || !next.version || current.vault !== next.vault || current.name.toLowerCase() !== next.name.toLowerCase()) return false;
    const versions = this.state.vault(next.vault)?.keys.get(next.name.toLowerCase())?.versions ?? [];
    const at = (v: string): number => versions.findIndex((k) => k.version === v.toLowerCase());
    return at(next.version) < at(current.version);
  }

  syncAutoRotationFlags(server: Pick<ServerState, 'keys' | 'protector'>): void {
    for (const k of server.keys.values()) {
      k.autoRotationEnabled = k.name.toLowerCase() === server.protector.serverKeyName.toLowerCase() && server.protector.autoRotationEnabled;
    }
  }

  // ---- long-running operations -------------------------------------------------------------------------------

  /**
   * Starts a long-running operation and answers 202: with Azure-AsyncOperation, Location and Retry-After, or (a
   * database update, final state via location) with Location alone, as the spec's example shows.
   */
  accepted(req: EmulatorRequest, server: OperationScope, kind: LroKind, operation: string, result: () => unknown, locationOnly = false): EmulatorResponse {
    const id = randomUUID();
    const now = this.options.clock();
    const startTime = new Date(now).toISOString();
    const d = this.options.operationDurationMs;
    const durationMs = typeof d === 'number' ? d : (d?.[kind] ?? 0);
    this.operations.set(id, { id, startTime, remainingPolls: this.options.lroInProgressPolls, doneAt: now + durationMs, result });
    // Bounded: a long-running demo or benchmark must not grow without limit (Map keeps insertion order).
    if (this.operations.size > MAX_OPERATIONS) {
      const oldest = this.operations.keys().next().value;
      if (oldest !== undefined) this.operations.delete(oldest);
    }
    const base = `https://${req.url.host}/subscriptions/${server.subscriptionId}/resourceGroups/${server.resourceGroup}/providers/Microsoft.Sql/locations/${server.location}`;
    const apiVersion = req.url.searchParams.get('api-version') ?? '';
    if (locationOnly) return json(202, {}, { location: `${base}/${kind}OperationResults/${id}?api-version=${apiVersion}`, ...this.retryAfter() });
    return json(
      202,
      { operation, startTime },
      {
        'azure-asyncoperation': `${base}/${kind}AzureAsyncOperation/${id}?api-version=${req.url.searchParams.get("api-version") ?? ""}`,
        location: `${base}/${kind}OperationResults/${id}?api-version=${req.url.searchParams.get("api-version") ?? ""}`,
        ...this.retryAfter(),
      },
    );
  }

  private retryAfter(): Record<string, string> {
    const s = this.options.lroRetryAfterSeconds;
    return s === false ? {} : { 'retry-after': String(s) };
  }

  /** Counts one poll; true while the operation is still running. */
  private inProgress(op: Operation): boolean {
    if (op.remainingPolls > 0) {
      op.remainingPolls -= 1;
      return true;
    }
    return this.options.clock() < op.doneAt;
  }

  private operationStatus(id: string): EmulatorResponse {
    const op = this.operations.get(id);
    if (!op) return armError(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    if (this.inProgress(op)) return json(200, { name: id, status: 'InProgress', startTime: op.startTime }, this.retryAfter());
    return json(200, { name: id, status: 'Succeeded', startTime: op.startTime });
  }

  private operationResult(id: string): EmulatorResponse {
    const op = this.operations.get(id);
    if (!op) return armError(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    if (this.inProgress(op)) return { status: 202, headers: this.retryAfter() };
    const body = op.result();
    return body === undefined ? { status: 204 } : json(200, body);
  }

  // ---- bodies --------------------------------------------------------------------------------------------------

  page<T>(req: EmulatorRequest, items: readonly T[], toBody: (t: T) => unknown): EmulatorResponse {
    const skip = Number(req.url.searchParams.get('$skiptoken') ?? '0') || 0;
    const size = this.options.pageSize;
    const value = items.slice(skip, skip + size).map(toBody);
    const out: { value: unknown[]; nextLink?: string } = { value };
    if (skip + size < items.length) {
      const next = new URL(req.url.toString());
      next.searchParams.set('$skiptoken', String(skip + size));
      out.nextLink = next.toString();
    }
    return json(200, out);
  }

  private serverBody(s: ServerState): unknown {
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

  private keyBody(s: ServerState, k: ServerKeyState): unknown {
    const properties: Record<string, unknown> = { serverKeyType: k.serverKeyType };
    if (k.serverKeyType === 'AzureKeyVault') {
      properties['uri'] = k.uri;
      properties['thumbprint'] = k.thumbprint;
      properties['creationDate'] = k.creationDate;
      properties['subregion'] = k.subregion ?? s.location;
      properties['autoRotationEnabled'] = k.autoRotationEnabled;
    }
    return {
      name: k.name,
      type: 'Microsoft.Sql/servers/keys',
      id: `${s.id}/keys/${k.name}`,
      kind: k.serverKeyType === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged',
      location: displayLocation(s.location),
      properties,
    };
  }

  private protectorBody(s: ServerState): unknown {
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

  private agentBody(s: ServerState, a: SyncAgentState): unknown {
    const view = observeSyncAgent(a, this.options.clock());
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
}

/**
 * A new sync agent key in the service's shape (`{guid}:{base64}:{base64}`); the previous one stops being valid,
 * so the agent drops until its host submits the new one (see syncAgentSimulation.ts).
 */
export function generateSyncAgentKey(agent: SyncAgentState, nowMs: number = Date.now()): string {
  const key = `${randomUUID()}:${randomBytes(32).toString('base64')}:${randomBytes(48).toString('base64')}`;
  keyRegenerated(agent, nowMs);
  agent.currentKey = key;
  agent.keyGeneration += 1;
  return key;
}

/** Key Vault keys first, then ServiceManaged, as the service lists them (see the azure-cli recording). */
function keysServiceManagedLast(s: ServerState): ServerKeyState[] {
  const keys = [...s.keys.values()];
  return [...keys.filter((k) => k.serverKeyType !== 'ServiceManaged'), ...keys.filter((k) => k.serverKeyType === 'ServiceManaged')];
}

export function displayLocation(location: string): string {
  return DISPLAY_LOCATIONS[location.toLowerCase()] ?? location;
}

export function notFound(type: string, name: string, rg: string): EmulatorResponse {
  return armError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

function parentNotFound(serverName: string): EmulatorResponse {
  return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${serverName}' not found.`);
}
