/**
 * Microsoft.Sql databases, the part that database-level customer-managed keys touch (Databases.json 2025-01-01):
 * list by server, get (`$expand=keys` adds the `keys` map), and the update (PATCH) of `keys`,
 * `encryptionProtector` and `encryptionProtectorAutoRotation`, long-running with a Location header alone
 * (`final-state-via: location`, as the PatchVCoreDatabaseWithKeysAndEncryptionProtector example answers).
 *
 * Validation: every added key URI is a Key Vault key SQL accepts (the server checks: disabled, expired, RSA size);
 * the protector must be one of the database's keys after the update; a geo primary's protector cannot move to a
 * key its geo secondary database lacks (`PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary`); while old transactions
 * hold the log (`oldThumbprintInUse`) the protector cannot change (`PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse`).
 */
import { parseJsonBody, type EmulatorRequest } from './emulatorRequest.js';
import { armError, json, notFound, parentNotFound, type EmulatorResponse } from './emulatorResponse.js';
import { parseKeyUri } from './parseKeyUri.js';
import type { DatabaseState, ServerState } from './serverState.js';
import type { ArmRoute, ArmSqlRoutes } from './armSqlRoutes.js';

type RouteFactory = (name: string, subscriptionId: string, handle: () => EmulatorResponse) => ArmRoute;

export class ArmDatabaseRoutes {
  constructor(private readonly arm: ArmSqlRoutes) {}

  /** Routes below `.../servers/{server}/databases`; `rest` starts at the database name. */
  match(req: EmulatorRequest, sub: string, rg: string, serverName: string, rest: string[], method: string, route: RouteFactory): ArmRoute | undefined {
    const [name, ...extra] = rest;
    if (extra.length > 0) return undefined;
    const withServer = (f: (s: ServerState) => EmulatorResponse) => (): EmulatorResponse => {
      const s = this.arm.state.server(sub, rg, serverName);
      return s ? f(s) : parentNotFound(serverName);
    };
    if (name === undefined || name === '') {
      return method === 'GET' ? route('arm.databases.listByServer', sub, withServer((s) => this.arm.page(req, [...s.databases.values()], (d) => databaseBody(d, false)))) : undefined;
    }
    const withDatabase = (f: (d: DatabaseState) => EmulatorResponse) =>
      withServer((s) => {
        const d = s.databases.get(name.toLowerCase());
        return d ? f(d) : notFound('Microsoft.Sql/servers/databases', `${s.name}/${name}`, rg);
      });
    if (method === 'GET') {
      const expand = (req.url.searchParams.get('$expand') ?? '').toLowerCase().split(',').map((x) => x.trim());
      return route('arm.databases.get', sub, withDatabase((d) => json(200, databaseBody(d, expand.includes('keys')))));
    }
    if (method === 'PATCH') return route('arm.databases.update', sub, withDatabase((d) => this.update(req, d)));
    return undefined;
  }

  private update(req: EmulatorRequest, db: DatabaseState): EmulatorResponse {
    const body = parseJsonBody(req) as { properties?: { keys?: unknown; encryptionProtector?: unknown; encryptionProtectorAutoRotation?: unknown } } | undefined;
    const p = body?.properties;
    if (!p || typeof p !== 'object') return armError(400, 'InvalidDatabaseCreateOrUpdateRequest', 'The request body for the create or update database operation is invalid.');
    const keys = p.keys === undefined ? {} : p.keys;
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
      return armError(400, 'InvalidDatabaseCreateOrUpdateRequest', 'The request body for the create or update database operation is invalid.');
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const [uri, value] of Object.entries(keys as Record<string, unknown>)) {
      if (value === null) {
        removed.push(uri);
        continue;
      }
      const parsed = parseKeyUri(uri);
      if (!parsed) return armError(400, 'AzureKeyVaultInvalidUri', 'An invalid response from Azure Key Vault. Please use a valid Azure Key Vault URI.');
      const problem = this.arm.keyMaterialProblem(db.server, parsed.vault, parsed.name, parsed.version);
      if (problem) return problem;
      added.push(uri);
    }
    const after = new Set([...db.keys.keys(), ...added.map((u) => u.toLowerCase())].filter((u) => !removed.some((r) => r.toLowerCase() === u)));
    let protector = db.encryptionProtector;
    if (p.encryptionProtector !== undefined) {
      if (typeof p.encryptionProtector !== 'string' || p.encryptionProtector === '') {
        return armError(400, 'SecurityAzureKeyVaultUrlNullOrEmpty', 'The operation could not be completed because the Azure Key Vault Uri is null or empty.');
      }
      protector = p.encryptionProtector;
    }
    if (protector !== undefined && !after.has(protector.toLowerCase())) {
      return armError(400, 'SecurityAzureKeyVaultInvalidKeyName', 'The operation could not be completed because of an invalid Server Key name: the encryption protector must be one of the database keys.');
    }
    if (db.encryptionProtector !== undefined && removed.some((r) => r.toLowerCase() === db.encryptionProtector?.toLowerCase()) && protector === db.encryptionProtector) {
      return armError(400, 'AzureKeyVaultKeyNameCurrentlyInUse', 'The operation could not be completed because the Azure Key Vault Key is currently set as encryption protector.');
    }
    const protectorChanges = protector !== undefined && protector.toLowerCase() !== (db.encryptionProtector ?? '').toLowerCase();
    if (protectorChanges && protector !== undefined) {
      if (db.oldThumbprintInUse) {
        return armError(
          400,
          'PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse',
          'Key Rotation for the TDE Protector at the database level is blocked when active transactions are holding up the log encrypted with old keys. Please refer to aka.ms/azuresqldbkeyrotation for possible strategies to workaround this issue.',
        );
      }
      const next = parseKeyUri(protector);
      if (next && db.encryptionProtector !== undefined && this.arm.state.behaviour.refuseOlderProtectorVersion && this.arm.olderThanKey(db.encryptionProtector, next)) {
        return armError(400, 'OldGenerationOfAKVKeyBeingUsedError', 'Using an old version of AKV key as TDE protector is not allowed. Please use the latest version of the AKV key as the encryption protector');
      }
      for (const secondary of db.geoSecondaries) {
        if (!secondary.keys.has(protector.toLowerCase())) {
          return armError(400, 'PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary', `The geo-secondary database '${secondary.server.name}/${secondary.name}' is missing the Azure Key Vault key URI '${protector}'.`);
        }
      }
    }
    for (const uri of added) this.arm.state.putDatabaseKey(db, uri);
    for (const uri of removed) db.keys.delete(uri.toLowerCase());
    if (protector !== undefined) db.encryptionProtector = db.keys.get(protector.toLowerCase())?.uri ?? protector;
    if (typeof p.encryptionProtectorAutoRotation === 'boolean') db.encryptionProtectorAutoRotation = p.encryptionProtectorAutoRotation;
    return this.arm.operations.accepted(req, db.server, 'database', 'UpdateLogicalDatabase', () => databaseBody(db, false), true);
  }
}

/** As GetVCoreDatabaseWithExpandEqualsKeys shows it (`keys` only with `$expand=keys`). */
function databaseBody(d: DatabaseState, withKeys: boolean): unknown {
  const properties: Record<string, unknown> = {
    collation: 'SQL_Latin1_General_CP1_CI_AS',
    creationDate: '2025-01-01T00:00:00.000Z',
    databaseId: '6c764297-577b-470f-9af4-96d3d41e2ba3',
    status: 'Online',
    maxSizeBytes: 268435456000,
    zoneRedundant: false,
    requestedBackupStorageRedundancy: 'Geo',
  };
  if (d.encryptionProtector !== undefined) {
    properties['encryptionProtector'] = d.encryptionProtector;
    properties['encryptionProtectorAutoRotation'] = d.encryptionProtectorAutoRotation;
  }
  if (withKeys) properties['keys'] = Object.fromEntries([...d.keys.values()].map((k) => [k.uri, {}]));
  return {
    name: d.name,
    type: 'Microsoft.Sql/servers/databases',
    id: d.id,
    kind: 'v12.0,user,vcore',
    location: d.server.location,
    sku: { name: 'GP_Gen5', tier: 'GeneralPurpose', family: 'Gen5', capacity: 2 },
    properties,
  };
}
