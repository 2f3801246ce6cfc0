/**
 * Microsoft.Sql managed instances: the instance list and get, `keys` and `encryptionProtector/current`, with the
 * validation of logical servers (the 2025-01-01 ManagedInstanceKeys.json and ManagedInstanceEncryptionProtectors.json
 * name the same codes) and long-running operations of their own kinds (`managedInstanceKey`,
 * `managedInstanceEncryptionProtector`), whose duration tests set apart: on Azure they take minutes.
 * Geo secondaries are instance failover groups: the primary's protector cannot move to a key its secondary lacks.
 */
import { parseJsonBody, type EmulatorRequest } from './emulatorRequest.js';
import { armError, json, notFound, parentNotFound, type EmulatorResponse } from './emulatorResponse.js';
import { parseKeyUri } from './parseKeyUri.js';
import { serverKeyProperties } from './serverBody.js';
import type { ManagedInstanceState, ServerKeyState } from './serverState.js';
import type { ArmRoute, ArmSqlRoutes } from './armSqlRoutes.js';

type RouteFactory = (name: string, subscriptionId: string, handle: () => EmulatorResponse) => ArmRoute;

export class ArmManagedInstanceRoutes {
  constructor(private readonly arm: ArmSqlRoutes) {}

  /** `GET /subscriptions/{sub}/providers/Microsoft.Sql/managedInstances`. */
  list(req: EmulatorRequest, sub: string, rg?: string): EmulatorResponse {
    return this.arm.page(req, this.arm.state.managedInstancesIn(sub, rg), (m) => instanceBody(m));
  }

  /** Routes below `.../resourceGroups/{rg}/providers/Microsoft.Sql/managedInstances`; `rest` starts at the instance name. */
  match(req: EmulatorRequest, sub: string, rg: string, rest: string[], method: string, route: RouteFactory): ArmRoute | undefined {
    const [name, child, childName, ...extra] = rest;
    if (extra.length > 0) return undefined;
    if (name === undefined || name === '') return method === 'GET' ? route('arm.managedInstances.listByResourceGroup', sub, () => this.list(req, sub, rg)) : undefined;
    const instance = (): ManagedInstanceState | undefined => this.arm.state.managedInstance(sub, rg, name);
    const withInstance = (f: (m: ManagedInstanceState) => EmulatorResponse) => (): EmulatorResponse => {
      const m = instance();
      return m ? f(m) : parentNotFound(name);
    };
    const c = child?.toLowerCase();
    if (c === undefined) {
      if (method !== 'GET') return undefined;
      return route('arm.managedInstances.get', sub, () => {
        const m = instance();
        return m ? json(200, instanceBody(m)) : notFound('Microsoft.Sql/managedInstances', name, rg);
      });
    }
    if (c === 'keys') {
      if (childName === undefined) {
        return method === 'GET' ? route('arm.managedInstanceKeys.list', sub, withInstance((m) => this.arm.page(req, keyVaultKeysFirst(m), (k) => keyBody(m, k)))) : undefined;
      }
      if (method === 'GET') {
        return route('arm.managedInstanceKeys.get', sub, withInstance((m) => {
          const k = m.keys.get(childName.toLowerCase());
          return k ? json(200, keyBody(m, k)) : notFound('Microsoft.Sql/managedInstances/keys', `${m.name}/${childName}`, rg);
        }));
      }
      if (method === 'PUT') return route('arm.managedInstanceKeys.createOrUpdate', sub, withInstance((m) => this.putKey(req, m, childName)));
      return undefined;
    }
    if (c === 'encryptionprotector') {
      if (childName === undefined) {
        return method === 'GET' ? route('arm.managedInstanceEncryptionProtectors.list', sub, withInstance((m) => json(200, { value: [protectorBody(m)] }))) : undefined;
      }
      if (method === 'GET') {
        return route('arm.managedInstanceEncryptionProtectors.get', sub, withInstance((m) =>
          childName.toLowerCase() === 'current' ? json(200, protectorBody(m)) : notFound('Microsoft.Sql/managedInstances/encryptionProtector', `${m.name}/${childName}`, rg),
        ));
      }
      if (method === 'PUT') return route('arm.managedInstanceEncryptionProtectors.createOrUpdate', sub, withInstance((m) => this.putProtector(req, m, childName)));
    }
    return undefined;
  }

  private putKey(req: EmulatorRequest, mi: ManagedInstanceState, keyName: string): EmulatorResponse {
    const props = (parseJsonBody(req) as { properties?: { serverKeyType?: unknown; uri?: unknown } } | undefined)?.properties;
    if (!props || typeof props !== 'object') return armError(400, 'InvalidKeyUpsertRequest', 'The create managed instance key request does not exist or has no properties object.');
    if (props.serverKeyType === 'ServiceManaged') {
      return armError(400, 'InvalidUpsertKeyType', "Service-managed TDE keys are managed by the service. Service-managed TDE keys don't support Create or Update by the user.");
    }
    if (props.serverKeyType !== 'AzureKeyVault') return armError(400, 'InvalidKeyType', 'The create managed instance key type is not supported.');
    if (typeof props.uri !== 'string' || props.uri === '') return armError(400, 'InvalidKeyUpsertRequest', 'The create managed instance key request has no uri.');
    const parsed = parseKeyUri(props.uri);
    if (!parsed) return armError(400, 'AzureKeyVaultInvalidUri', 'An invalid response from Azure Key Vault. Please use a valid Azure Key Vault URI.');
    const expected = parsed.version ? `${parsed.vault}_${parsed.name}_${parsed.version}` : `${parsed.vault}_${parsed.name}`;
    if (expected.toLowerCase() !== keyName.toLowerCase()) {
      return armError(400, 'InvalidKeyName', `An invalid value was given for the managed instance key name. Expected '${expected}' for uri '${props.uri}'.`);
    }
    const repeated = this.arm.repeatedKeyUpsert(mi, keyName);
    if (repeated) return repeated;
    const problem = this.arm.keyMaterialProblem(mi, parsed.vault, parsed.name, parsed.version);
    if (problem) return problem;
    this.arm.state.putServerKey(mi, keyName, props.uri);
    return this.arm.operations.accepted(req, mi, 'managedInstanceKey', 'UpsertManagedServerEncryptionKeys', () => {
      const k = mi.keys.get(keyName.toLowerCase());
      return k ? keyBody(mi, k) : undefined;
    });
  }

  private putProtector(req: EmulatorRequest, mi: ManagedInstanceState, name: string): EmulatorResponse {
    if (name.toLowerCase() !== 'current') return armError(400, 'InvalidEncryptionProtectorName', 'The encryption protector key name is not supported.');
    const p = (parseJsonBody(req) as { properties?: { serverKeyName?: unknown; serverKeyType?: unknown; autoRotationEnabled?: unknown } } | undefined)?.properties;
    if (!p || typeof p !== 'object') return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    const autoRotationEnabled = p.autoRotationEnabled === true;
    if (p.serverKeyType === 'ServiceManaged') {
      mi.protector = { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false };
      this.arm.syncAutoRotationFlags(mi);
      return this.arm.operations.accepted(req, mi, 'managedInstanceEncryptionProtector', 'UpsertManagedServerEncryptionProtector', () => protectorBody(mi));
    }
    if (p.serverKeyType !== 'AzureKeyVault') return armError(400, 'InvalidKeyType', 'The managed instance key type is not supported.');
    if (typeof p.serverKeyName !== 'string' || p.serverKeyName === '') {
      return armError(400, 'SecurityAzureKeyVaultUrlNullOrEmpty', 'The operation could not be completed because the Azure Key Vault Uri is null or empty.');
    }
    const keyName = p.serverKeyName;
    const key = mi.keys.get(keyName.toLowerCase());
    if (!key?.uri) return armError(404, 'ServerKeyNotFound', `The managed instance key '${keyName}' does not exist.`);
    const parsed = parseKeyUri(key.uri);
    if (parsed) {
      const problem = this.arm.keyMaterialProblem(mi, parsed.vault, parsed.name, parsed.version);
      if (problem) return problem;
      if (this.arm.state.behaviour.refuseOlderProtectorVersion && this.arm.olderThanProtector(mi, parsed)) {
        return armError(400, 'OldGenerationOfAKVKeyBeingUsedError', 'Using an old version of AKV key as TDE protector is not allowed. Please use the latest version of the AKV key as the encryption protector');
      }
    }
    for (const secondary of mi.geoSecondaries) {
      if (!secondary.keys.has(keyName.toLowerCase())) {
        return armError(400, 'KeyMaterialNotFoundOnRemoteServer', `Remote managed instance '${secondary.name}' does not have access to key material used as a TDE protector.`);
      }
    }
    mi.protector = { serverKeyName: key.name, serverKeyType: 'AzureKeyVault', autoRotationEnabled };
    this.arm.syncAutoRotationFlags(mi);
    return this.arm.operations.accepted(req, mi, 'managedInstanceEncryptionProtector', 'UpsertManagedServerEncryptionProtector', () => protectorBody(mi));
  }
}

/** Key Vault keys first, then ServiceManaged, as the service lists a server's keys. */
function keyVaultKeysFirst(m: ManagedInstanceState): ServerKeyState[] {
  const keys = [...m.keys.values()];
  return [...keys.filter((k) => k.serverKeyType !== 'ServiceManaged'), ...keys.filter((k) => k.serverKeyType === 'ServiceManaged')];
}

function instanceBody(m: ManagedInstanceState): unknown {
  const protectorKey = m.keys.get(m.protector.serverKeyName.toLowerCase());
  const properties: Record<string, unknown> = {
    administratorLogin: 'sqladmin',
    fullyQualifiedDomainName: `${m.name}.0a1b2c3d4e5f.database.windows.net`,
    state: 'Ready',
    provisioningState: 'Succeeded',
    licenseType: 'LicenseIncluded',
    vCores: 8,
    storageSizeInGB: 256,
    publicDataEndpointEnabled: false,
  };
  if (m.protector.serverKeyType === 'AzureKeyVault' && protectorKey?.uri) properties['keyId'] = protectorKey.uri;
  return { name: m.name, type: 'Microsoft.Sql/managedInstances', id: m.id, location: m.location, sku: { name: 'GP_Gen5', tier: 'GeneralPurpose', family: 'Gen5', capacity: 8 }, properties };
}

/** As the ManagedInstanceKeyGet example shows it. */
function keyBody(m: ManagedInstanceState, k: ServerKeyState): unknown {
  const properties = serverKeyProperties(k);
  return { name: k.name, type: 'Microsoft.Sql/managedInstances/keys', id: `${m.id}/keys/${k.name}`, kind: k.serverKeyType === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged', properties };
}

/** As the ManagedInstanceEncryptionProtectorGet example shows it. */
function protectorBody(m: ManagedInstanceState): unknown {
  const p = m.protector;
  const key = m.keys.get(p.serverKeyName.toLowerCase());
  const properties: Record<string, unknown> = { serverKeyName: p.serverKeyName, serverKeyType: p.serverKeyType, autoRotationEnabled: p.autoRotationEnabled };
  if (p.serverKeyType === 'AzureKeyVault' && key) {
    properties['uri'] = key.uri;
    properties['thumbprint'] = key.thumbprint;
  }
  return {
    id: `${m.id}/encryptionProtector/current`,
    name: 'current',
    type: 'Microsoft.Sql/managedInstances/encryptionProtector',
    kind: p.serverKeyType === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged',
    properties,
  };
}
