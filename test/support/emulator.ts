/**
 * Starts the local Azure emulator for a test, with a small estate, and points this process at it.
 *
 * Usage (the real SDK clients then reach the emulator under the real host names):
 * ```ts
 * let emulator: RunningEmulator;
 * beforeAll(async () => { emulator = await startTestEmulator(); });
 * afterAll(async () => { await emulator.stop(); });     // also restores process.env
 * it('...', async () => {
 *   const sql = new SqlManagementClient(new DefaultAzureCredential(), TEST_SUBSCRIPTION_ID);
 *   const keys = new KeyClient(TEST_TDE_VAULT_URL, new DefaultAzureCredential());
 *   ...
 *   expect(emulator.stats.log.map((e) => e.route)).toContain('arm.serverKeys.createOrUpdate');
 * });
 * ```
 * It sets HTTPS_PROXY, HTTP_PROXY, NO_PROXY, IDENTITY_ENDPOINT and IDENTITY_HEADER from `emulator.env()`;
 * NODE_EXTRA_CA_CERTS comes from test/globalSetup.ts (Node reads it only at process start). Defaults for tests:
 * Retry-After 0 on LROs (fast polling), one InProgress poll, page size 2, the estate below. Pass overrides (e.g.
 * `{ writeBucket: { capacity: 5, refillPerSecond: 1 }, clock }`, or another `estate`).
 */
import { resolve } from 'node:path';
import { pointAtEmulator, startEmulator, type EmulatorOptions, type Estate, type RunningEmulator } from '@sql-key-rotation/local-azure';

export const TEST_TENANT_ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
export const TEST_SUBSCRIPTION_ID = '11111111-2222-4333-8444-555555555555';
export const TEST_RESOURCE_GROUP = 'rg-test';
export const TEST_OTHER_RESOURCE_GROUP = 'rg-other';
/** ARM id prefix of the test estate's logical servers: `${TEST_SERVERS}/sql-primary`. */
export const TEST_SERVERS = `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers`;
/** ARM id of a logical server of the test estate. */
export const testServerId = (name: string): string => `${TEST_SERVERS}/${name}`;
export const TEST_TDE_VAULT = 'test-tde';
export const TEST_TDE_VAULT_URL = 'https://test-tde.vault.azure.net';
export const TEST_SYNC_VAULT = 'test-sync';
export const TEST_SYNC_VAULT_URL = 'https://test-sync.vault.azure.net';
/** Versions of `tde-key` in the test vault (V2 is current). */
export const TDE_KEY_V1 = '11111111111111111111111111111111';
export const TDE_KEY_V2 = '22222222222222222222222222222222';
export const TDE_KEY_V1_URI = `${TEST_TDE_VAULT_URL}/keys/tde-key/${TDE_KEY_V1}`;
export const TDE_KEY_V2_URI = `${TEST_TDE_VAULT_URL}/keys/tde-key/${TDE_KEY_V2}`;
export const TDE_KEY_V1_NAME = `${TEST_TDE_VAULT}_tde-key_${TDE_KEY_V1}`;
export const TDE_KEY_V2_NAME = `${TEST_TDE_VAULT}_tde-key_${TDE_KEY_V2}`;
/** Keys that SQL refuses, one per validation error. */
export const BAD_KEY_VERSION = '33333333333333333333333333333333';

/** A small estate: a geo pair, a plain server, a server in another resource group, a sync agent. */
export function testEstate(): Estate {
  const protectedBy = (version: string) => ({
    keys: [{ uri: `${TEST_TDE_VAULT_URL}/keys/tde-key/${version}` }],
    protector: { serverKeyType: 'AzureKeyVault' as const, serverKeyName: `${TEST_TDE_VAULT}_tde-key_${version}` },
  });
  const badKey = (name: string, v: Record<string, unknown>) => ({ name, versions: [{ version: BAD_KEY_VERSION, created: '2025-01-01T00:00:00Z', ...v }] });
  return {
    tenantId: TEST_TENANT_ID,
    subscriptions: [
      {
        id: TEST_SUBSCRIPTION_ID,
        resourceGroups: [
          {
            name: TEST_RESOURCE_GROUP,
            servers: [
              { name: 'sql-primary', location: 'westeurope', ...protectedBy(TDE_KEY_V1), syncAgents: [{ name: 'agent-1' }] },
              { name: 'sql-secondary', location: 'northeurope', geoSecondaryOf: `${TEST_RESOURCE_GROUP}/sql-primary`, ...protectedBy(TDE_KEY_V1) },
              { name: 'sql-plain', location: 'westeurope', ...protectedBy(TDE_KEY_V1) },
            ],
          },
          { name: TEST_OTHER_RESOURCE_GROUP, servers: [{ name: 'sql-other', location: 'westeurope' }] },
        ],
      },
    ],
    vaults: [
      {
        name: TEST_TDE_VAULT,
        subscriptionId: TEST_SUBSCRIPTION_ID,
        resourceGroup: 'rg-security',
        keys: [
          {
            name: 'tde-key',
            versions: [
              { version: TDE_KEY_V1, kty: 'RSA', size: 2048, created: '2025-01-01T00:00:00Z' },
              { version: TDE_KEY_V2, kty: 'RSA', size: 3072, created: '2025-06-01T00:00:00Z', nbf: '2025-06-01T00:00:00Z', exp: '2099-01-01T00:00:00Z' },
            ],
          },
          badKey('disabled-key', { enabled: false }),
          badKey('expired-key', { exp: '2020-01-01T00:00:00Z' }),
          badKey('ec-key', { kty: 'EC', size: 256 }),
          badKey('small-key', { kty: 'RSA', size: 1024 }),
        ],
      },
      { name: TEST_SYNC_VAULT, subscriptionId: TEST_SUBSCRIPTION_ID, resourceGroup: 'rg-security', secrets: [] },
    ],
  };
}

/** Starts an emulator with the test estate (or overrides) and points process.env at it; stop() restores it. */
export async function startTestEmulator(overrides: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({
    estate: testEstate(),
    caDir: resolve(__dirname, '..', '..', '.local-azure', 'ca'),
    lroRetryAfterSeconds: 0,
    lroInProgressPolls: 1,
    pageSize: 2,
    ...overrides,
  });
  if (process.env['NODE_EXTRA_CA_CERTS'] !== emulator.caCertPath) {
    await emulator.stop();
    // Too late for this process: Node read NODE_EXTRA_CA_CERTS at start. test/globalSetup.ts must set it.
    throw new Error(`NODE_EXTRA_CA_CERTS is ${process.env['NODE_EXTRA_CA_CERTS'] ?? 'unset'}, expected ${emulator.caCertPath}: run the tests through vitest (test/globalSetup.ts)`);
  }
  // A developer's own credentials would win over the emulated managed identity in DefaultAzureCredential's chain:
  // hidden while the emulator runs, as in the demo.
  const restoreEnv = pointAtEmulator(emulator);
  const stop = emulator.stop.bind(emulator);
  return Object.assign(Object.create(emulator) as RunningEmulator, {
    async stop() {
      restoreEnv();
      await stop();
    },
  });
}
