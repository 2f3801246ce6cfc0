/**
 * The test estate (./emulator.ts) grown for one test file: managed instances, databases with keys of their own,
 * more sync agents; the ARM ids of what it holds; and the `keys` section of ROTATION_CONFIG that covers it.
 *
 * ```ts
 * const emulator = useTestEmulator({ estate: testEstateWith({ managedInstances: [managedInstanceOn('mi-1')] }) });
 * ```
 */
import { TDE_KEY_V1, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT, TEST_TDE_VAULT_URL, testEstate, testServerId } from './emulator.js';

type Estate = ReturnType<typeof testEstate>;
type ResourceGroup = Estate['subscriptions'][number]['resourceGroups'][number];
type Server = ResourceGroup['servers'][number];
export type TestManagedInstance = NonNullable<ResourceGroup['managedInstances']>[number];
export type TestDatabase = NonNullable<Server['databases']>[number];

/** The versionless id of the test vault's TDE key, `tde-key`. */
export const TEST_TDE_KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;

/** ARM id of a managed instance in the test subscription (resource group rg-test unless named). */
export const testManagedInstanceId = (name: string, resourceGroup = TEST_RESOURCE_GROUP): string =>
  `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/managedInstances/${name}`;
/** ARM id of a database of a logical server of the test estate (in rg-test). */
export const testDatabaseId = (server: string, name: string): string => `${testServerId(server)}/databases/${name}`;
/** ARM id of a sync agent of a logical server of the test estate (in rg-test). */
export const testSyncAgentId = (server: string, name: string): string => `${testServerId(server)}/syncAgents/${name}`;

/** A managed instance in westeurope protected by a version of `tde-key` (V1 unless named). */
export function managedInstanceOn(name: string, version = TDE_KEY_V1): TestManagedInstance {
  return {
    name,
    location: 'westeurope',
    keys: [{ uri: `${TEST_TDE_VAULT_URL}/keys/tde-key/${version}` }],
    protector: { serverKeyType: 'AzureKeyVault', serverKeyName: `${TEST_TDE_VAULT}_tde-key_${version}` },
  };
}

/** A database with a key of its own: one version of `tde-key` (V1 unless named), also its protector. */
export function databaseOn(name: string, version = TDE_KEY_V1): TestDatabase {
  const uri = `${TEST_TDE_VAULT_URL}/keys/tde-key/${version}`;
  return { name, keys: [uri], encryptionProtector: uri };
}

export interface TestEstateChanges {
  /** Managed instances of rg-test. */
  readonly managedInstances?: readonly TestManagedInstance[];
  /** Managed instances of rg-other. */
  readonly otherManagedInstances?: readonly TestManagedInstance[];
  /** Fields replaced on the named servers, in either resource group (e.g. `databases`, `syncAgents`). */
  readonly servers?: Readonly<Record<string, Partial<Server>>>;
  /** More logical servers in rg-test. */
  readonly addServers?: readonly Server[];
  /** More vaults (or Managed HSMs). */
  readonly addVaults?: Estate['vaults'];
}

/** The test estate with the given managed instances and server fields; everything else as it is. */
export function testEstateWith(changes: TestEstateChanges): Estate {
  const base = testEstate();
  const [sub] = base.subscriptions;
  const grow = (rg: ResourceGroup, managedInstances: readonly TestManagedInstance[] | undefined, addServers: readonly Server[] = []): ResourceGroup => ({
    ...rg,
    servers: [...rg.servers.map((s) => ({ ...s, ...changes.servers?.[s.name] })), ...addServers],
    ...(managedInstances === undefined ? {} : { managedInstances }),
  });
  const [main, other] = sub!.resourceGroups;
  return {
    ...base,
    subscriptions: [{ ...sub!, resourceGroups: [grow(main!, changes.managedInstances, changes.addServers), grow(other!, changes.otherManagedInstances)] }],
    vaults: [...base.vaults, ...(changes.addVaults ?? [])],
  };
}

/** Every kind of TDE target beside the logical servers: managed instance mi-1 and database db-1 of sql-plain, both on V1. */
export function testEstateWithTargetKinds(): Estate {
  return testEstateWith({ managedInstances: [managedInstanceOn('mi-1')], servers: { 'sql-plain': { databases: [databaseOn('db-1')] } } });
}

/** ROTATION_CONFIG `keys` for the test estate's logical servers: the geo pair and sql-plain, every protector switched. */
export function testServerKeysConfig(): Record<string, { servers: TestServerConfig[] }> {
  return { [TEST_TDE_KEY]: { servers: [...testGeoPairConfig(), { id: testServerId('sql-plain'), switchProtector: true }] } };
}

/** A server entry of ROTATION_CONFIG. */
export interface TestServerConfig {
  readonly id: string;
  readonly switchProtector: boolean;
  readonly geoPrimary?: string;
}

/** ROTATION_CONFIG server entries for the test estate's geo pair: sql-secondary follows sql-primary, both switched. */
export function testGeoPairConfig(): TestServerConfig[] {
  return [
    { id: testServerId('sql-primary'), switchProtector: true },
    { id: testServerId('sql-secondary'), switchProtector: true, geoPrimary: testServerId('sql-primary') },
  ];
}
