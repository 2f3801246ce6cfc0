/**
 * Azure Resource Manager, Microsoft.Sql slice: servers, server keys, the encryption protector and sync agents
 * (managed instances: armManagedInstanceRoutes.ts; databases with database-level keys: armDatabaseRoutes.ts),
 * with SQL's validation errors and ARM's long-running-operation protocol (202 + Azure-AsyncOperation + Location
 * + Retry-After, then polling), as the service recordings in ../shared/vectors show.
 */
import { ArmOperations, type ArmOperationsOptions } from './armOperations.js';
import { parseJsonBody, type EmulatorRequest } from './emulatorRequest.js';
import { armError, json, notFound, parentNotFound, type EmulatorResponse } from './emulatorResponse.js';
import type { EmulatorState } from './emulatorState.js';
import { parseKeyUri } from './parseKeyUri.js';
import type { ServerState, SyncAgentState } from './serverState.js';
import { keysServiceManagedLast, serverBody, serverKeyBody, serverProtectorBody, syncAgentBody } from './serverBody.js';
import { generateSyncAgentKey } from './syncAgentSimulation.js';
import { ArmDatabaseRoutes } from './armDatabaseRoutes.js';
import { ArmManagedInstanceRoutes } from './armManagedInstanceRoutes.js';

/** Settings of the ARM routes. */
export interface ArmSqlOptions extends ArmOperationsOptions {
  /** Items per page of list operations. */
  readonly pageSize: number;
}

/** A matched ARM route: its name and how to answer it. */
export interface ArmRoute {
  readonly name: string;
  /** Subscription the request is about (for the write bucket). */
  readonly subscriptionId: string;
  readonly isWrite: boolean;
  handle(): EmulatorResponse;
}

const RX_SERVERS_SUB = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.sql\/servers\/?$/i;
const RX_INSTANCES_SUB = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.sql\/managedinstances\/?$/i;
const RX_RG = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.sql\/(.*)$/i;

/** The Microsoft.Sql routes over an {@link EmulatorState}. */
export class ArmSqlRoutes {
  /** The long-running operations of every Microsoft.Sql route. */
  readonly operations: ArmOperations;
  private readonly instances: ArmManagedInstanceRoutes;
  private readonly databases: ArmDatabaseRoutes;

  constructor(
    readonly state: EmulatorState,
    readonly options: ArmSqlOptions,
  ) {
    this.operations = new ArmOperations(options);
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
      return route('arm.servers.list', sub, () => this.page(req, this.state.serversInSubscription(sub), (s) => serverBody(s)));
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
      if (kind.endsWith('azureasyncoperation')) return route('arm.operations.status', sub, () => this.operations.status(opId));
      if (kind.endsWith('operationresults')) return route('arm.operations.result', sub, () => this.operations.result(opId));
      return undefined;
    }
    if (seg0?.toLowerCase() === 'managedinstances') return this.instances.match(req, sub, rg, rest.slice(1), method, route);
    if (seg0?.toLowerCase() === 'servers' && child?.toLowerCase() === 'databases' && serverName) {
      return this.databases.match(req, sub, rg, serverName, rest.slice(3), method, route);
    }
    if (seg0?.toLowerCase() !== 'servers' || extra.length > 0) return undefined;
    if (serverName === undefined || serverName === '') {
      if (method !== 'GET') return undefined;
      return route('arm.servers.listByResourceGroup', sub, () => this.page(req, this.state.serversInResourceGroup(sub, rg), (s) => serverBody(s)));
    }
    const server = (): ServerState | undefined => this.state.server(sub, rg, serverName);
    const c = child?.toLowerCase();
    if (c === undefined) {
      if (method !== 'GET') return undefined;
      return route('arm.servers.get', sub, () => {
        const s = server();
        return s ? json(200, serverBody(s)) : notFound('Microsoft.Sql/servers', serverName, rg);
      });
    }
    const withServer = (f: (s: ServerState) => EmulatorResponse) => (): EmulatorResponse => {
      const s = server();
      return s ? f(s) : parentNotFound(serverName);
    };
    if (c === 'keys' && action === undefined) {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.serverKeys.list', sub, withServer((s) => this.page(req, keysServiceManagedLast(s), (k) => serverKeyBody(s, k))));
      }
      if (method === 'GET') {
        return route('arm.serverKeys.get', sub, withServer((s) => {
          const k = s.keys.get(childName.toLowerCase());
          return k ? json(200, serverKeyBody(s, k)) : notFound('Microsoft.Sql/servers/keys', `${s.name}/${childName}`, rg);
        }));
      }
      if (method === 'PUT') return route('arm.serverKeys.createOrUpdate', sub, withServer((s) => this.putServerKey(req, s, childName)));
      if (method === 'DELETE') return route('arm.serverKeys.delete', sub, withServer((s) => this.deleteServerKey(s, childName)));
      return undefined;
    }
    if (c === 'encryptionprotector' && action === undefined) {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.encryptionProtectors.list', sub, withServer((s) => json(200, { value: [serverProtectorBody(s)] })));
      }
      if (method === 'GET') {
        return route('arm.encryptionProtectors.get', sub, withServer((s) =>
          childName.toLowerCase() === 'current' ? json(200, serverProtectorBody(s)) : notFound('Microsoft.Sql/servers/encryptionProtector', `${s.name}/${childName}`, rg),
        ));
      }
      if (method === 'PUT') return route('arm.encryptionProtectors.createOrUpdate', sub, withServer((s) => this.putProtector(req, s, childName)));
      return undefined;
    }
    if (c === 'syncagents') {
      if (childName === undefined) {
        if (method !== 'GET') return undefined;
        return route('arm.syncAgents.listByServer', sub, withServer((s) => this.page(req, [...s.syncAgents.values()], (a) => syncAgentBody(s, a, this.options.clock()))));
      }
      const withAgent = (f: (s: ServerState, a: SyncAgentState) => EmulatorResponse) =>
        withServer((s) => {
          const a = s.syncAgents.get(childName.toLowerCase());
          return a ? f(s, a) : notFound('Microsoft.Sql/servers/syncAgents', `${s.name}/${childName}`, rg);
        });
      if (action === undefined && method === 'GET') return route('arm.syncAgents.get', sub, withAgent((s, a) => json(200, syncAgentBody(s, a, this.options.clock()))));
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
    return this.operations.accepted(req, server, 'serverKey', 'UpsertLogicalServerEncryptionKeys', () => {
      const k = server.keys.get(keyName.toLowerCase());
      return k ? serverKeyBody(server, k) : undefined;
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
      return this.operations.accepted(req, server, 'encryptionProtector', 'UpsertLogicalServerEncryptionProtector', () => serverProtectorBody(server));
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
    return this.operations.accepted(req, server, 'encryptionProtector', 'UpsertLogicalServerEncryptionProtector', () => serverProtectorBody(server));
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

  // ---- lists -------------------------------------------------------------------------------------------------

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

}
