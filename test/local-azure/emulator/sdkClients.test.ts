import { beforeAll, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import type { SqlManagementClient } from '@azure/arm-sql';
import { KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { testSqlManagementClient, useTestEmulator } from '../../support/emulatorFixture.js';
import {
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_SYNC_VAULT,
  TEST_SYNC_VAULT_URL,
  TEST_TDE_VAULT_URL,
} from '../../support/emulator.js';

describe('Emulator: the real Azure SDK clients through the proxy', () => {
  const emulator = useTestEmulator();
  let sql: SqlManagementClient;

  beforeAll(() => {
    sql = testSqlManagementClient();
  });

  it('gets a server through management.azure.com with a managed-identity token (worker trusts the CA)', async () => {
    const server = await sql.servers.get(TEST_RESOURCE_GROUP, 'sql-primary');

    expect(server.name).toBe('sql-primary');
    expect(server.location).toBe('westeurope');
    const log = emulator.stats.log.filter((e) => e.route === 'arm.servers.get');
    expect(log.at(-1)?.url).toMatch(/^https:\/\/management\.azure\.com\/subscriptions\/.+\/servers\/sql-primary\?api-version=/);
    expect(emulator.stats.count('identity.token')).toBeGreaterThan(0);
  });

  it('creates a server key as a long-running operation: 202, then polling, then the final GET', async () => {
    // Prepare
    const before = emulator.stats.log.length;

    // Act
    const key = await sql.serverKeys.beginCreateOrUpdateAndWait(TEST_RESOURCE_GROUP, 'sql-plain', TDE_KEY_V2_NAME, {
      serverKeyType: 'AzureKeyVault',
      uri: TDE_KEY_V2_URI,
    }, { updateIntervalInMs: 1 });

    // Assess
    expect(key.name).toBe(TDE_KEY_V2_NAME);
    expect(key.uri).toBe(TDE_KEY_V2_URI);
    expect(key.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    const calls = emulator.stats.log.slice(before).map((e) => `${e.method} ${e.route} ${e.status}`);
    expect(calls).toEqual([
      'PUT arm.serverKeys.createOrUpdate 202',
      'GET arm.operations.status 200',
      'GET arm.operations.status 200',
      'GET arm.serverKeys.get 200',
    ]);
    expect(emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain')?.keys.has(TDE_KEY_V2_NAME.toLowerCase())).toBe(true);
  });

  it('switches the encryption protector as a long-running operation', async () => {
    // Prepare
    await sql.serverKeys.beginCreateOrUpdateAndWait(TEST_RESOURCE_GROUP, 'sql-plain', TDE_KEY_V2_NAME, { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI }, { updateIntervalInMs: 1 });

    // Act
    const p = await sql.encryptionProtectors.beginCreateOrUpdateAndWait(TEST_RESOURCE_GROUP, 'sql-plain', 'current', {
      serverKeyType: 'AzureKeyVault',
      serverKeyName: TDE_KEY_V2_NAME,
      autoRotationEnabled: false,
    }, { updateIntervalInMs: 1 });

    // Assess
    expect(p.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(p.uri).toBe(TDE_KEY_V2_URI);
    expect(emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
  });

  it('lists the servers of the subscription across pages (nextLink)', async () => {
    const names: string[] = [];
    for await (const s of sql.servers.list()) names.push(s.name ?? '');

    expect(names).toEqual(['sql-primary', 'sql-secondary', 'sql-plain', 'sql-other']);
    expect(emulator.stats.log.filter((e) => e.route === 'arm.servers.list').some((e) => e.url.includes('%24skiptoken=2') || e.url.includes('$skiptoken=2'))).toBe(true);
  });

  it('lists the servers of one resource group', async () => {
    const names: string[] = [];
    for await (const s of sql.servers.listByResourceGroup('rg-other')) names.push(s.name ?? '');

    expect(names).toEqual(['sql-other']);
  });

  it('generates a sync agent key and keeps only the newest one valid', async () => {
    const first = await sql.syncAgents.generateKey(TEST_RESOURCE_GROUP, 'sql-primary', 'agent-1');
    const second = await sql.syncAgents.generateKey(TEST_RESOURCE_GROUP, 'sql-primary', 'agent-1');

    const agent = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')?.syncAgents.get('agent-1');
    expect(second.syncAgentKey).not.toBe(first.syncAgentKey);
    expect(agent?.currentKey).toBe(second.syncAgentKey);
    expect(agent?.keyGeneration).toBe(2);
  });

  it('gets a key version after the Key Vault 401 challenge', async () => {
    // Prepare
    const before = emulator.stats.log.length;
    const keys = new KeyClient(TEST_TDE_VAULT_URL, new DefaultAzureCredential());

    // Act
    const key = await keys.getKey('tde-key');

    // Assess
    expect(key.properties.version).toBe(TDE_KEY_V2);
    expect(key.key?.n?.length).toBe(3072 / 8);
    const calls = emulator.stats.log.slice(before).filter((e) => e.route === 'kv.keys.get');
    expect(calls.map((e) => [e.status, e.authorized])).toEqual([
      [401, false],
      [200, true],
    ]);
  });

  it('sets and gets a secret', async () => {
    // Prepare
    const secrets = new SecretClient(TEST_SYNC_VAULT_URL, new DefaultAzureCredential());

    // Act
    const set = await secrets.setSecret('agent-1-key', 'not-a-real-key', { contentType: 'text/plain' });
    const got = await secrets.getSecret('agent-1-key');

    // Assess
    expect(got.value).toBe('not-a-real-key');
    expect(got.properties.version).toBe(set.properties.version);
    expect(emulator.state.currentSecretValue(TEST_SYNC_VAULT, 'agent-1-key')).toBe('not-a-real-key');
  });
});
