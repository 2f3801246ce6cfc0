import { DefaultAzureCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyVaultKeyReader } from '../../src/azure/keyVaultKeyReader.js';
import { isRotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import type { RunningEmulator } from '../../src/local/emulator/index.js';
import { TDE_KEY_V1, TDE_KEY_V1_URI, TDE_KEY_V2, TDE_KEY_V2_URI, TEST_TDE_VAULT_URL, startTestEmulator } from '../support/emulator.js';

describe('KeyVaultKeyReader (real @azure/keyvault-keys against the emulator)', () => {
  let emulator: RunningEmulator;
  let reader: KeyVaultKeyReader;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    reader = new KeyVaultKeyReader(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await emulator.stop();
  });

  it("answers Key Vault's 401 challenge, then reads the version with its size and times", async () => {
    const before = emulator.stats.log.length;

    const props = await reader.getKey(parseKeyId(TDE_KEY_V2_URI));

    expect(props).toMatchObject({ version: TDE_KEY_V2, enabled: true, keyType: 'RSA', keySize: 3072 });
    expect(props.createdOn?.toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(props.expiresOn?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
    const first = emulator.stats.log.slice(before).filter((e) => e.url.startsWith(TEST_TDE_VAULT_URL));
    expect(first[0]).toMatchObject({ status: 401, authorized: false });
    expect(first.at(-1)).toMatchObject({ status: 200, authorized: true });
  });

  it('reads the latest version of a versionless id', async () => {
    const props = await reader.getKey(parseKeyId(`${TEST_TDE_VAULT_URL}/keys/tde-key`));

    expect(props.version).toBe(TDE_KEY_V2);
  });

  it('lists every version with its creation time', async () => {
    const versions = await reader.listVersions(parseKeyId(TDE_KEY_V1_URI));

    expect(versions.map((v) => v.version).sort()).toEqual([TDE_KEY_V1, TDE_KEY_V2]);
    expect(versions.every((v) => v.createdOn instanceof Date)).toBe(true);
  });

  it('reports a version that does not exist as a terminal 404 naming the vault and key', async () => {
    const err = await reader.getKey(parseKeyId(`${TEST_TDE_VAULT_URL}/keys/tde-key/${'9'.repeat(32)}`)).catch((e: unknown) => e);

    expect(isRotationError(err) && err.errorClass).toBe('terminal');
    expect(isRotationError(err) && err.details).toMatchObject({ statusCode: 404, vault: 'test-tde', key: 'tde-key' });
  });

  it('reports a Key Vault 503 as retriable', async () => {
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.keys.get', times: 1 });

    const err = await reader.getKey(parseKeyId(TDE_KEY_V1_URI)).catch((e: unknown) => e);

    expect(isRotationError(err) && err.errorClass).toBe('retriable');
  });
});
