import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlManagementClient } from '@azure/arm-sql';
import { testSqlManagementClient, useTestEmulator } from '../../support/emulatorFixture.js';
import { BAD_KEY_VERSION, TDE_KEY_V2_NAME, TDE_KEY_V2_URI, TEST_RESOURCE_GROUP as RG, TEST_TDE_VAULT, TEST_TDE_VAULT_URL } from '../../support/emulator.js';

/** Runs an SDK call that must fail, and returns what the SDK surfaced. */
async function failure(p: Promise<unknown>): Promise<{ statusCode: number | undefined; code: string | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { statusCode?: number; code?: string };
    return { statusCode: err.statusCode, code: err.code };
  }
  throw new Error('expected the call to fail');
}

describe('Emulator: Azure SQL validation errors through the SDK', () => {
  useTestEmulator();
  let sql: SqlManagementClient;
  const putKey = (server: string, name: string, props: Record<string, unknown>) =>
    sql.serverKeys.beginCreateOrUpdateAndWait(RG, server, name, props, { updateIntervalInMs: 1 });
  const badKey = (key: string) => ({ name: `${TEST_TDE_VAULT}_${key}_${BAD_KEY_VERSION}`, uri: `${TEST_TDE_VAULT_URL}/keys/${key}/${BAD_KEY_VERSION}` });

  beforeAll(() => {
    sql = testSqlManagementClient();
  });

  it('refuses a server key whose name is not {vault}_{key}_{version} of its uri (InvalidKeyName)', async () => {
    expect(await failure(putKey('sql-plain', 'test-tde_tde-key_00000000000000000000000000000000', { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI }))).toEqual({ statusCode: 400, code: 'InvalidKeyName' });
  });

  it('refuses an unknown server key type (InvalidKeyType)', async () => {
    expect(await failure(putKey('sql-plain', TDE_KEY_V2_NAME, { serverKeyType: 'SomethingElse', uri: TDE_KEY_V2_URI }))).toEqual({ statusCode: 400, code: 'InvalidKeyType' });
  });

  it('refuses a server key without uri (InvalidKeyUpsertRequest)', async () => {
    expect(await failure(putKey('sql-plain', TDE_KEY_V2_NAME, { serverKeyType: 'AzureKeyVault' }))).toEqual({ statusCode: 400, code: 'InvalidKeyUpsertRequest' });
  });

  it('refuses a disabled key (AzureKeyVaultKeyDisabled)', async () => {
    const k = badKey('disabled-key');
    expect(await failure(putKey('sql-plain', k.name, { serverKeyType: 'AzureKeyVault', uri: k.uri }))).toEqual({ statusCode: 400, code: 'AzureKeyVaultKeyDisabled' });
  });

  it('refuses an expired key (AzureKeyVaultInvalidExpirationDate)', async () => {
    const k = badKey('expired-key');
    expect(await failure(putKey('sql-plain', k.name, { serverKeyType: 'AzureKeyVault', uri: k.uri }))).toEqual({ statusCode: 400, code: 'AzureKeyVaultInvalidExpirationDate' });
  });

  it.each(['ec-key', 'small-key'])('refuses %s: not RSA 2048/3072 (AzureKeyVaultRsaKeyNotSupported)', async (name) => {
    const k = badKey(name);
    expect(await failure(putKey('sql-plain', k.name, { serverKeyType: 'AzureKeyVault', uri: k.uri }))).toEqual({ statusCode: 400, code: 'AzureKeyVaultRsaKeyNotSupported' });
  });

  it('refuses a protector naming a key the server lacks (ServerKeyDoesNotExists)', async () => {
    const p = sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-secondary', 'current', { serverKeyType: 'AzureKeyVault', serverKeyName: 'test-tde_tde-key_99999999999999999999999999999999' }, { updateIntervalInMs: 1 });
    expect(await failure(p)).toEqual({ statusCode: 409, code: 'ServerKeyDoesNotExists' });
  });

  it('refuses a protector on a geo primary until its secondary has the key (KeyMaterialNotFoundOnRemoteServer)', async () => {
    // Prepare
    await putKey('sql-primary', TDE_KEY_V2_NAME, { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI });
    const setProtector = () => sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-primary', 'current', { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V2_NAME }, { updateIntervalInMs: 1 });

    // Act
    expect(await failure(setProtector())).toEqual({ statusCode: 400, code: 'KeyMaterialNotFoundOnRemoteServer' });

    // Assess
    await putKey('sql-secondary', TDE_KEY_V2_NAME, { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI });
    expect((await setProtector()).serverKeyName).toBe(TDE_KEY_V2_NAME);
  });

  it('answers 404 ResourceNotFound for an unknown server, key or sync agent', async () => {
    expect(await failure(sql.servers.get(RG, 'no-such-server'))).toEqual({ statusCode: 404, code: 'ResourceNotFound' });
    expect(await failure(sql.serverKeys.get(RG, 'sql-plain', 'test-tde_tde-key_99999999999999999999999999999999'))).toEqual({ statusCode: 404, code: 'ResourceNotFound' });
    expect(await failure(sql.syncAgents.get(RG, 'sql-primary', 'no-such-agent'))).toEqual({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('answers 404 ParentResourceNotFound for a child of an unknown server', async () => {
    expect(await failure(sql.serverKeys.get(RG, 'no-such-server', TDE_KEY_V2_NAME))).toEqual({ statusCode: 404, code: 'ParentResourceNotFound' });
    expect(await failure(sql.syncAgents.generateKey(RG, 'no-such-server', 'agent-1'))).toEqual({ statusCode: 404, code: 'ParentResourceNotFound' });
  });
});
