import { DefaultAzureCredential } from '@azure/identity';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RestError } from '@azure/core-rest-pipeline';
import { KeyVaultKeyReader, isKeyDisabledAnswer } from '../../src/azure/keyVaultKeyReader.js';
import { checkKeyVersion } from '../../src/domain/checkKeyVersion.js';
import { isRotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { BAD_KEY_VERSION, TDE_KEY_V1, TDE_KEY_V1_URI, TDE_KEY_V2, TDE_KEY_V2_URI, TEST_TDE_VAULT_URL } from '../support/emulator.js';

describe('KeyVaultKeyReader (real @azure/keyvault-keys against the emulator)', () => {
  const emulator = useTestEmulator();
  let reader: KeyVaultKeyReader;

  beforeAll(() => {
    reader = new KeyVaultKeyReader(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } });
  });
  afterEach(() => {
    emulator.state.behaviour.disabledKeyGet = 'ok';
  });

  it("answers Key Vault's 401 challenge, then reads the version with its size and times", async () => {
    // Prepare
    const before = emulator.stats.log.length;

    // Act
    const props = await reader.getKey(parseKeyId(TDE_KEY_V2_URI));

    // Assess
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
    // Prepare
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.keys.get', times: 1 });

    // Act
    const err = await reader.getKey(parseKeyId(TDE_KEY_V1_URI)).catch((e: unknown) => e);

    // Assess
    expect(isRotationError(err) && err.errorClass).toBe('retriable');
  });

  it.each([
    ['200 with enabled: false', 'ok'],
    ['403 Forbidden with inner error KeyDisabled', 'forbidden'],
  ] as const)('reports a disabled version answered %s as disabled, with its creation time', async (_label, answer) => {
    // Prepare
    emulator.state.behaviour.disabledKeyGet = answer;
    const before = emulator.stats.log.length;

    // Act
    const props = await reader.getKey(parseKeyId(`${TEST_TDE_VAULT_URL}/keys/disabled-key/${BAD_KEY_VERSION}`));

    // Assess
    expect(props).toMatchObject({ version: BAD_KEY_VERSION, enabled: false });
    expect(props.createdOn?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    const gets = emulator.stats.log.slice(before).filter((e) => e.route === 'kv.keys.get' && e.authorized);
    expect(gets.map((e) => e.status)).toEqual([answer === 'ok' ? 200 : 403]);
    expect(checkKeyVersion(props, new Date('2026-01-01T00:00:00Z'))).toMatchObject({ ok: false, code: 'AzureKeyVaultKeyDisabled' });
  });

  it('reports the latest version of a versionless id refused with 403 KeyDisabled as disabled', async () => {
    // Prepare
    emulator.state.behaviour.disabledKeyGet = 'forbidden';

    // Act
    const props = await reader.getKey(parseKeyId(`${TEST_TDE_VAULT_URL}/keys/disabled-key`));

    // Assess
    expect(props).toMatchObject({ enabled: false });
  });
});

describe('Function: isKeyDisabledAnswer', () => {
  const forbidden = (): RestError =>
    new RestError('Operation get is not allowed on a disabled key.', { statusCode: 403, code: 'Forbidden' });

  it.each([
    ['the SDK model (details.error.innerError)', { error: { code: 'Forbidden', innerError: { code: 'KeyDisabled' } } }, true],
    ['the wire shape (details.error.innererror)', { error: { code: 'Forbidden', innererror: { code: 'KeyDisabled' } } }, true],
    ['a 403 for a missing role assignment', { error: { code: 'Forbidden', innerError: { code: 'ForbiddenByRbac' } } }, false],
    ['a 403 without inner error', { error: { code: 'Forbidden' } }, false],
  ])('reads %s', (_label, details, expected) => {
    const e = Object.assign(forbidden(), { details });

    expect(isKeyDisabledAnswer(e)).toBe(expected);
  });

  it('does not take another status for a disabled key', () => {
    const e = Object.assign(new RestError('x', { statusCode: 400 }), { details: { error: { innerError: { code: 'KeyDisabled' } } } });

    expect(isKeyDisabledAnswer(e)).toBe(false);
  });
});
