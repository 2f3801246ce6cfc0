/**
 * The estate: what exists in the emulated Azure when it starts (subscriptions, SQL servers with their keys,
 * protectors, geo links, sync agents and databases (database-level keys); managed instances; key vaults with key versions and secrets). Read from a JSON file.
 *
 * Times are ISO 8601 strings or Unix seconds. Server references (`geoSecondaryOf`) are `"{resourceGroup}/{server}"`
 * in the same subscription, or a full ARM server id.
 */
import { readFileSync } from 'node:fs';

/** A whole emulated estate. */
export interface Estate {
  /** Directory (tenant) id: appears in the Key Vault challenge and in tokens. */
  readonly tenantId: string;
  readonly subscriptions: readonly EstateSubscription[];
  readonly vaults: readonly EstateVault[];
}

export interface EstateSubscription {
  /** A GUID. */
  readonly id: string;
  readonly resourceGroups: readonly EstateResourceGroup[];
}

export interface EstateResourceGroup {
  readonly name: string;
  readonly servers: readonly EstateServer[];
  readonly managedInstances?: readonly EstateManagedInstance[];
}

/** A SQL Managed Instance: keys and protector as a server's. */
export interface EstateManagedInstance {
  readonly name: string;
  readonly location: string;
  readonly keys?: readonly EstateServerKey[];
  readonly protector?: EstateProtector;
  /** Geo secondary (instance failover group) of that instance: `"{rg}/{instance}"` in the same subscription. */
  readonly geoSecondaryOf?: string;
}

/** A user database; with `keys` and `encryptionProtector` it has database-level customer-managed keys. */
export interface EstateDatabase {
  readonly name: string;
  /** Key Vault key URIs of the database's `keys` map. */
  readonly keys?: readonly string[];
  /** One of `keys`: the database-level protector. */
  readonly encryptionProtector?: string;
  readonly encryptionProtectorAutoRotation?: boolean;
  /** Geo secondary of that database: `"{rg}/{server}/{database}"` in the same subscription. */
  readonly geoSecondaryOf?: string;
}

export interface EstateServer {
  readonly name: string;
  /** Programmatic region name, e.g. `westeurope`. */
  readonly location: string;
  /** Server keys besides the implicit `ServiceManaged` one: Key Vault key URIs (versioned or versionless). */
  readonly keys?: readonly EstateServerKey[];
  /** Default: ServiceManaged. */
  readonly protector?: EstateProtector;
  /** This server is the geo secondary of that one (`"{rg}/{server}"` or an ARM id). */
  readonly geoSecondaryOf?: string;
  readonly syncAgents?: readonly EstateSyncAgent[];
  readonly databases?: readonly EstateDatabase[];
}

export interface EstateServerKey {
  readonly uri: string;
  /** Default: derived from the uri (`{vault}_{key}_{version}` or `{vault}_{key}`). */
  readonly name?: string;
  readonly creationDate?: string | number;
}

export type EstateProtector =
  | {
      readonly serverKeyType: 'AzureKeyVault';
      /** Name of one of the server's keys. */
      readonly serverKeyName: string;
      readonly autoRotationEnabled?: boolean;
    }
  | { readonly serverKeyType: 'ServiceManaged' };

export interface EstateSyncAgent {
  readonly name: string;
  /** Name of the sync metadata database on the same server (default `syncdb`). */
  readonly syncDatabase?: string;
  /** Default `Online`. */
  readonly state?: 'Online' | 'Offline' | 'NeverConnected';
  /** Seconds after a new key is generated until the agent's host submits it; absent: it never does. */
  readonly pickupAfterSeconds?: number;
  /** ISO time last alive, for an agent that is not Online. */
  readonly lastAliveTime?: string;
}

export interface EstateVault {
  readonly name: string;
  /** Default `vault`; `managedHsm` pools answer on `{name}.managedhsm.azure.net` with audience managedhsm. */
  readonly kind?: 'vault' | 'managedHsm';
  /** Where the vault's ARM resource lives (the Event Grid topic). */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location?: string;
  readonly keys?: readonly EstateKey[];
  readonly secrets?: readonly EstateSecret[];
}

export interface EstateKey {
  readonly name: string;
  /** Oldest first; the last one is the current version. */
  readonly versions: readonly EstateKeyVersion[];
}

export interface EstateKeyVersion {
  /** 32 hex characters. */
  readonly version: string;
  /** Default `RSA`. */
  readonly kty?: 'RSA' | 'RSA-HSM' | 'EC' | 'EC-HSM' | 'oct-HSM';
  /** Default 2048. */
  readonly size?: number;
  readonly enabled?: boolean;
  readonly created?: string | number;
  readonly nbf?: string | number;
  readonly exp?: string | number;
}

export interface EstateSecret {
  readonly name: string;
  /** Oldest first. */
  readonly versions: readonly EstateSecretVersion[];
}

export interface EstateSecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  readonly enabled?: boolean;
  readonly created?: string | number;
}

/** Thrown when an estate file does not parse or is structurally wrong. */
export class EstateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EstateError';
  }
}

/** Reads and checks an estate JSON file. Throws {@link EstateError} listing what is wrong. */
export function loadEstate(path: string): Estate {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new EstateError(`cannot read estate ${path}`, { cause });
  }
  return parseEstate(raw, path);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the structure of an already parsed estate (the parts the emulator relies on). */
export function parseEstate(raw: unknown, source = 'estate'): Estate {
  const problems: string[] = [];
  const e = raw as Partial<Estate> | null;
  if (!e || typeof e !== 'object') throw new EstateError(`${source}: not an object`);
  if (typeof e.tenantId !== 'string' || !GUID.test(e.tenantId)) problems.push('tenantId must be a GUID');
  if (!Array.isArray(e.subscriptions)) problems.push('subscriptions must be an array');
  if (!Array.isArray(e.vaults)) problems.push('vaults must be an array');
  for (const s of e.subscriptions ?? []) {
    if (!GUID.test(s.id)) problems.push(`subscription id ${String(s.id)} must be a GUID`);
    if (!Array.isArray(s.resourceGroups)) problems.push(`subscription ${s.id}: resourceGroups must be an array`);
    for (const rg of s.resourceGroups ?? []) {
      for (const srv of rg.servers ?? []) {
        if (typeof srv.name !== 'string' || typeof srv.location !== 'string') {
          problems.push(`server in ${rg.name}: name and location are required`);
        }
      }
    }
  }
  for (const v of e.vaults ?? []) {
    if (typeof v.name !== 'string') problems.push('vault name is required');
    for (const k of v.keys ?? []) {
      for (const ver of k.versions ?? []) {
        if (!/^[0-9a-f]{32}$/i.test(ver.version)) problems.push(`vault ${v.name} key ${k.name}: version ${ver.version} is not 32 hex`);
      }
    }
  }
  if (problems.length > 0) throw new EstateError(`${source}: ${problems.join('; ')}`);
  return e as Estate;
}
