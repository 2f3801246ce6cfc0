/**
 * Contract tests for managed instances and database-level keys: the emulator's bodies carry the property names
 * and JSON types of the official 2025-01-01 examples in ../shared/vectors, its long-running operations answer as
 * the examples and specs say (managed instance PUTs 202 with the async-operation headers, the database update 202
 * with Location alone), and its refusals use the spec's codes. Values differ by design; shapes must not.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANAGED_INSTANCE_KEYS_API_VERSION } from '../../../src/azure/armManagedInstanceKeys.js';
import { DATABASE_KEYS_API_VERSION } from '../../../src/azure/armDatabaseKeys.js';
import { TDE_KEY_V1_URI, TDE_KEY_V1_NAME, TDE_KEY_V2_NAME, TDE_KEY_V2_URI, TEST_RESOURCE_GROUP as RG, TEST_SUBSCRIPTION_ID } from '../../support/emulator.js';
import { testEstateWithTargetKinds } from '../../support/testEstates.js';
import { ARM, harness } from './routerHarness.js';
import { exampleFile, shapeMismatches, SQL_EXAMPLES, SQL_SPEC } from './shapeMismatches.js';

const BASE = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql`;
const MI = `${BASE}/managedInstances/mi-1`;
const DB = `${BASE}/servers/sql-plain/databases/db-1`;
const MI_API = `api-version=${MANAGED_INSTANCE_KEYS_API_VERSION}`;
const DB_API = `api-version=${DATABASE_KEYS_API_VERSION}`;

/** A response of an example of the 2025-01-01 spec: `body` and `headers`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
const example = (file: string, status = '200'): any => exampleFile(SQL_EXAMPLES, file).responses[status];

/** Example key names use their own vault and key: keys of a map are compared by shape, not name. */
const KEYS_MAP = '$.properties.keys.';

describe('Emulator contract: managed instances match the 2025-01-01 examples', () => {
  it('ManagedInstanceKeyGet and ManagedInstanceKeyList', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), pageSize: 100 });

    // Act
    const get = await h.send('GET', `${MI}/keys/${TDE_KEY_V1_NAME}?${MI_API}`);
    const list = await h.send('GET', `${MI}/keys?${MI_API}`);

    // Assess
    expect(get.status).toBe(200);
    expect(shapeMismatches(example('ManagedInstanceKeyGet.json').body, get.body)).toEqual([]);
    expect(get.body).toMatchObject({ type: 'Microsoft.Sql/managedInstances/keys', kind: 'azurekeyvault', properties: { uri: TDE_KEY_V1_URI } });
    expect(shapeMismatches(example('ManagedInstanceKeyList.json').body, list.body)).toEqual([]);
  });

  it('ManagedInstanceEncryptionProtectorGet and List', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), pageSize: 100 });

    // Act
    const get = await h.send('GET', `${MI}/encryptionProtector/current?${MI_API}`);
    const list = await h.send('GET', `${MI}/encryptionProtector?${MI_API}`);

    // Assess
    expect(shapeMismatches(example('ManagedInstanceEncryptionProtectorGet.json').body, get.body)).toEqual([]);
    expect(get.body.properties).toMatchObject({ serverKeyName: TDE_KEY_V1_NAME, serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V1_URI, autoRotationEnabled: false });
    expect(shapeMismatches(example('ManagedInstanceEncryptionProtectorList.json').body, list.body)).toEqual([]);
  });

  it('ManagedInstanceKeyCreateOrUpdate: 202, polled to Succeeded, then the example body', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), lroInProgressPolls: 1 });

    // Act
    const put = await h.send('PUT', `${MI}/keys/${TDE_KEY_V2_NAME}?${MI_API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });
    const polls = [(await h.send('GET', put.headers['azure-asyncoperation']!)).body.status, (await h.send('GET', put.headers['azure-asyncoperation']!)).body.status];
    const result = await h.send('GET', put.headers['location']!);

    // Assess
    expect(put.status).toBe(202);
    expect(put.headers['azure-asyncoperation']).toMatch(/\/locations\/westeurope\/managedInstanceKeyAzureAsyncOperation\/[0-9a-f-]{36}\?api-version=2020-11-01-preview$/);
    expect(polls).toEqual(['InProgress', 'Succeeded']);
    expect(shapeMismatches(example('ManagedInstanceKeyCreateOrUpdate.json').body, result.body)).toEqual([]);
  });

  it('ManagedInstanceEncryptionProtectorCreateOrUpdateKeyVault: accepts the example request shape', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), lroInProgressPolls: 0 });
    await h.send('PUT', `${MI}/keys/${TDE_KEY_V2_NAME}?${MI_API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });
    const request = example('ManagedInstanceEncryptionProtectorCreateOrUpdateKeyVault.json');
    const body = exampleFile(SQL_EXAMPLES, 'ManagedInstanceEncryptionProtectorCreateOrUpdateKeyVault.json').parameters.parameters;
    body.properties.serverKeyName = TDE_KEY_V2_NAME;

    // Act
    const put = await h.send('PUT', `${MI}/encryptionProtector/current?${MI_API}`, body);
    const result = await h.send('GET', put.headers['location']!);

    // Assess
    expect(put.status).toBe(202);
    expect(shapeMismatches(request.body, result.body)).toEqual([]);
    expect(h.state.managedInstance(TEST_SUBSCRIPTION_ID, RG, 'mi-1')!.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
  });

  it.each([
    ['a key name that does not match the uri', `${MI}/keys/wrong_name_${'0'.repeat(32)}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } }, 400, 'InvalidKeyName'],
    ['a service-managed key', `${MI}/keys/ServiceManaged`, { properties: { serverKeyType: 'ServiceManaged' } }, 400, 'InvalidUpsertKeyType'],
    ['a protector on a key the instance lacks', `${MI}/encryptionProtector/current`, { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V2_NAME } }, 404, 'ServerKeyNotFound'],
    ['a protector not named current', `${MI}/encryptionProtector/other`, { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V1_NAME } }, 400, 'InvalidEncryptionProtectorName'],
  ])('refuses %s with a code of the spec', async (_what, url, body, status, code) => {
    const res = await harness({ estate: testEstateWithTargetKinds() }).send('PUT', `${url}?${MI_API}`, body);

    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    const spec = readFileSync(resolve(SQL_SPEC, url.includes('encryptionProtector') ? 'ManagedInstanceEncryptionProtectors.json' : 'ManagedInstanceKeys.json'), 'utf8');
    expect(spec).toContain(`${status} ${code} - `);
  });
});

describe('Emulator contract: databases with database-level keys match the 2025-01-01 examples', () => {
  it('GetVCoreDatabaseWithExpandEqualsKeys: keys only when expanded', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds() });

    // Act
    const expanded = await h.send('GET', `${DB}?$expand=keys&${DB_API}`);
    const plain = await h.send('GET', `${DB}?${DB_API}`);

    // Assess
    expect(shapeMismatches(example('GetVCoreDatabaseWithExpandEqualsKeys.json').body, expanded.body, [KEYS_MAP, '$.properties.', '$.sku.'])).toEqual([]);
    expect(expanded.body.properties).toMatchObject({ encryptionProtector: TDE_KEY_V1_URI, keys: { [TDE_KEY_V1_URI]: {} } });
    expect(plain.body.properties.keys).toBeUndefined();
    expect(plain.body.properties.encryptionProtector).toBe(TDE_KEY_V1_URI);
  });

  it('PatchVCoreDatabaseWithKeysAndEncryptionProtector: 202 with Location only, then the database', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), lroInProgressPolls: 1 });
    const response = example('PatchVCoreDatabaseWithKeysAndEncryptionProtector.json', '202');

    // Act
    const patch = await h.send('PATCH', `${DB}?${DB_API}`, { properties: { keys: { [TDE_KEY_V2_URI]: {} }, encryptionProtector: TDE_KEY_V2_URI } });
    const first = await h.send('GET', patch.headers['location']!);
    const done = await h.send('GET', patch.headers['location']!);

    // Assess
    expect(patch.status).toBe(202);
    expect(Object.keys(response.headers).map((k) => k.toLowerCase())).toEqual(['location']);
    expect(patch.headers['location']).toMatch(/\/providers\/Microsoft\.Sql\/locations\/westeurope\/databaseOperationResults\/[0-9a-f-]{36}\?api-version=2025-01-01$/);
    expect(patch.headers['azure-asyncoperation']).toBeUndefined();
    expect(first.status).toBe(202);
    expect(done.status).toBe(200);
    expect(shapeMismatches(example('PatchVCoreDatabaseWithKeysAndEncryptionProtector.json').body, done.body, ['$.properties.', '$.sku.', '$.identity'])).toEqual([]);
    const db = h.state.server(TEST_SUBSCRIPTION_ID, RG, 'sql-plain')!.databases.get('db-1')!;
    expect(db.encryptionProtector).toBe(TDE_KEY_V2_URI);
    expect([...db.keys.values()].map((k) => k.uri)).toEqual([TDE_KEY_V1_URI, TDE_KEY_V2_URI]);
  });

  it('CreateDatabaseWithEncryptionProtectorAutoRotation: the flag is read and written as the spec names it', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds(), lroInProgressPolls: 0 });
    const request = exampleFile(SQL_EXAMPLES, 'CreateDatabaseWithEncryptionProtectorAutoRotation.json').parameters.parameters.properties;
    expect(request.encryptionProtectorAutoRotation).toBe(true);

    // Act
    await h.send('PATCH', `${DB}?${DB_API}`, { properties: { encryptionProtectorAutoRotation: true } });
    const get = await h.send('GET', `${DB}?$expand=keys&${DB_API}`);

    // Assess
    expect(get.body.properties.encryptionProtectorAutoRotation).toBe(true);
  });

  it.each([
    ['a protector that is not one of its keys', { properties: { encryptionProtector: TDE_KEY_V2_URI } }, 'SecurityAzureKeyVaultInvalidKeyName'],
    ['a key that is not a Key Vault key', { properties: { keys: { 'https://example.com/keys/x': {} } } }, 'AzureKeyVaultInvalidUri'],
    ['a disabled key version', { properties: { keys: { [`https://test-tde.vault.azure.net/keys/disabled-key/${'3'.repeat(32)}`]: {} } } }, 'AzureKeyVaultKeyDisabled'],
  ])('refuses %s with a code of the spec', async (_what, body, code) => {
    const res = await harness({ estate: testEstateWithTargetKinds() }).send('PATCH', `${DB}?${DB_API}`, body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(readFileSync(resolve(SQL_SPEC, 'Databases.json'), 'utf8')).toContain(`400 ${code} - `);
  });

  it('refuses a protector change while the log holds the old key, with the spec code', async () => {
    // Prepare
    const h = harness({ estate: testEstateWithTargetKinds() });
    h.state.server(TEST_SUBSCRIPTION_ID, RG, 'sql-plain')!.databases.get('db-1')!.oldThumbprintInUse = true;

    // Act
    const res = await h.send('PATCH', `${DB}?${DB_API}`, { properties: { keys: { [TDE_KEY_V2_URI]: {} }, encryptionProtector: TDE_KEY_V2_URI } });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse');
  });
});
