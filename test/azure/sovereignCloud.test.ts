import { DefaultAzureCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { KeyVaultKeyReader } from '../../src/azure/keyVaultKeyReader.js';
import { SqlClientFactory, armCloudOptions } from '../../src/azure/sqlClientFactory.js';
import { AZURE_CLOUDS } from '../../src/domain/azureCloud.js';
import { isRotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TDE_KEY_V1, TDE_KEY_V1_NAME, testServerId } from '../support/emulator.js';

const PLAIN = testServerId('sql-plain');

describe('Sovereign clouds (real @azure/arm-sql and @azure/keyvault-keys against the emulator)', () => {
  const emulator = useTestEmulator();

  it.each([
    ['AzureChinaCloud', 'management.chinacloudapi.cn'],
    ['AzureUSGovernment', 'management.usgovcloudapi.net'],
    ['AzureCloud', 'management.azure.com'],
  ] as const)('reads a protector through the %s Resource Manager (%s) with a token for it', async (cloud, host) => {
    // Prepare
    const factory = new SqlClientFactory(new DefaultAzureCredential(), { ...armCloudOptions(AZURE_CLOUDS[cloud]), retryOptions: { maxRetries: 0 } });
    const before = emulator.stats.log.length;

    // Act
    const protector = await new ArmSqlServerKeys(factory).getEncryptionProtector(PLAIN);

    // Assess
    expect(protector.serverKeyName).toBe(TDE_KEY_V1_NAME);
    const arm = emulator.stats.log.slice(before).filter((e) => e.route.startsWith('arm.'));
    expect(arm.map((e) => new URL(e.url).host)).toEqual([host]);
    expect(arm[0]).toMatchObject({ status: 200, authorized: true });
  });

  it('is refused by the China Resource Manager with a public-cloud token, so the scope matters', async () => {
    // Prepare
    const factory = new SqlClientFactory(new DefaultAzureCredential(), {
      ...armCloudOptions(AZURE_CLOUDS.AzureChinaCloud),
      credentialScopes: [AZURE_CLOUDS.AzureCloud.armScope],
      retryOptions: { maxRetries: 0 },
    });

    // Act
    const err = await new ArmSqlServerKeys(factory).getEncryptionProtector(PLAIN).catch((e: unknown) => e);

    // Assess
    expect(isRotationError(err) && err.details.statusCode).toBe(401);
  });

  it.each([
    ['vault.azure.cn'],
    ['vault.usgovcloudapi.net'],
  ])('reads a key version from a %s vault, answering its challenge for that cloud', async (suffix) => {
    // Prepare
    const reader = new KeyVaultKeyReader(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } });

    // Act
    const props = await reader.getKey(parseKeyId(`https://test-tde.${suffix}/keys/tde-key/${TDE_KEY_V1}`));

    // Assess
    expect(props).toMatchObject({ version: TDE_KEY_V1, enabled: true });
    expect(emulator.stats.log.some((e) => e.url.startsWith(`https://test-tde.${suffix}/`) && e.status === 200)).toBe(true);
  });
});
