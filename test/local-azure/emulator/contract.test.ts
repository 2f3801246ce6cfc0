/**
 * Contract tests: the emulator's bodies carry the property names and JSON types of the official examples in
 * ../shared/vectors (REST spec examples and service recordings). Values differ by design (names, times,
 * thumbprints); shapes must not.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TDE_KEY_V1_NAME, TDE_KEY_V1_URI, TDE_KEY_V2, TDE_KEY_V2_NAME, TDE_KEY_V2_URI, TEST_RESOURCE_GROUP as RG, TEST_SUBSCRIPTION_ID } from '../../support/emulator.js';
import { API, ARM, harness } from './routerHarness.js';
import { exampleBody as example, KV_EXAMPLES, shapeMismatches, SQL_EXAMPLES, SQL_SPEC } from './shapeMismatches.js';

const SERVERS = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql/servers`;
const KV = 'https://test-tde.vault.azure.net';
const KV_API = 'api-version=7.6';

/** The `{status} {Code} - {description}` lines of a spec's error descriptions, as `status Code`. */
function specErrorCodes(file: string): Set<string> {
  const text = readFileSync(resolve(SQL_SPEC, file), 'utf8');
  const codes = new Set([...text.matchAll(/\* (\d{3}) ([A-Za-z0-9]+) - /g)].map((m) => `${m[1]} ${m[2]}`));
  expect(codes.size, file).toBeGreaterThan(0);
  return codes;
}

describe('Emulator contract: Microsoft.Sql bodies match the 2025-01-01 examples', () => {
  it('ServerList', async () => {
    const res = await harness({ pageSize: 100 }).send('GET', `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/providers/Microsoft.Sql/servers?${API}`);

    // Fields of features the emulator does not model (private endpoints, governance, IPv6, workspaces).
    const unmodelled = ['$.value[].properties.privateEndpointConnections[]', '$.value[].properties.externalGovernanceStatus', '$.value[].properties.isIPv6Enabled', '$.value[].properties.workspaceFeature'];
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerList.json'), res.body, unmodelled)).toEqual([]);
  });

  it('ServerKeyGet and ServerKeyList', async () => {
    // Prepare
    const h = harness({ pageSize: 100 });

    // Act
    const get = await h.send('GET', `${SERVERS}/sql-primary/keys/${TDE_KEY_V1_NAME}?${API}`);
    const list = await h.send('GET', `${SERVERS}/sql-primary/keys?${API}`);

    // Assess
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerKeyGet.json'), get.body)).toEqual([]);
    expect(get.body.properties).toMatchObject({ subregion: 'westeurope', autoRotationEnabled: false });
    expect(get.body.kind).toBe('azurekeyvault');
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerKeyList.json'), list.body)).toEqual([]);
    expect(list.body.value.map((k: { name: string }) => k.name).sort()).toEqual(['ServiceManaged', TDE_KEY_V1_NAME].sort());
  });

  it('ServerKeyCreateOrUpdate: 202 with the LRO headers of the recordings, then the example body', async () => {
    // Prepare
    const h = harness({ lroInProgressPolls: 2 });

    // Act
    const put = await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

    // Assess
    expect(put.status).toBe(202);
    expect(put.body).toEqual({ operation: 'UpsertLogicalServerEncryptionKeys', startTime: expect.any(String) });
    expect(put.headers['azure-asyncoperation']).toMatch(/\/providers\/Microsoft\.Sql\/locations\/westeurope\/serverKeyAzureAsyncOperation\/[0-9a-f-]{36}\?api-version=2020-11-01-preview$/);
    expect(put.headers['location']).toMatch(/\/locations\/westeurope\/serverKeyOperationResults\/[0-9a-f-]{36}\?api-version=/);
    expect(put.headers['retry-after']).toBe('0');
    const polls = [];
    for (let i = 0; i < 3; i++) polls.push((await h.send('GET', put.headers['azure-asyncoperation']!)).body.status);
    expect(polls).toEqual(['InProgress', 'InProgress', 'Succeeded']);
    const result = await h.send('GET', put.headers['location']!);
    expect(result.status).toBe(200);
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerKeyCreateOrUpdate.json', '201'), result.body)).toEqual([]);
  });

  it('ServerKeyCreateOrUpdate of a key the server has: 409 ServerKeyNameAlreadyExists as the spec lists, when the behaviour asks', async () => {
    // Prepare
    const h = harness();
    h.state.behaviour.repeatedKeyUpsert = 'conflict';
    const url = `${SERVERS}/sql-primary/keys/${TDE_KEY_V1_NAME}?${API}`;

    // Act
    const repeated = await h.send('PUT', url, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V1_URI } });
    const fresh = await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

    // Assess
    expect(specErrorCodes('ServerKeys.json')).toContain('409 ServerKeyNameAlreadyExists');
    expect(repeated.status).toBe(409);
    expect(repeated.body.error).toEqual({ code: 'ServerKeyNameAlreadyExists', message: 'The server key already exists on the server.' });
    expect(fresh.status).toBe(202);
  });

  it('EncryptionProtectorGet and EncryptionProtectorCreateOrUpdate', async () => {
    // Prepare
    const h = harness();
    await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

    // Act
    const get = await h.send('GET', `${SERVERS}/sql-plain/encryptionProtector/current?${API}`);
    const put = await h.send('PUT', `${SERVERS}/sql-plain/encryptionProtector/current?${API}`, { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V2_NAME, autoRotationEnabled: true } });
    await h.send('GET', put.headers['azure-asyncoperation']!);
    await h.send('GET', put.headers['azure-asyncoperation']!);
    const result = await h.send('GET', put.headers['location']!);

    // Assess
    expect(shapeMismatches(example(SQL_EXAMPLES, 'EncryptionProtectorGet.json'), get.body)).toEqual([]);
    expect(get.body.properties.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(put.status).toBe(202);
    expect(put.headers['azure-asyncoperation']).toContain('/encryptionProtectorAzureAsyncOperation/');
    expect(shapeMismatches(example(SQL_EXAMPLES, 'EncryptionProtectorCreateOrUpdateKeyVault.json'), result.body)).toEqual([]);
    expect(result.body.properties).toMatchObject({ serverKeyName: TDE_KEY_V2_NAME, uri: TDE_KEY_V2_URI, autoRotationEnabled: true });
  });

  it('SyncAgentGet, SyncAgentListByServer and SyncAgentGenerateKey', async () => {
    // Prepare
    const h = harness();

    // Act
    const get = await h.send('GET', `${SERVERS}/sql-primary/syncAgents/agent-1?${API}`);
    const list = await h.send('GET', `${SERVERS}/sql-primary/syncAgents?${API}`);
    const gen = await h.send('POST', `${SERVERS}/sql-primary/syncAgents/agent-1/generateKey?${API}`);

    // Assess
    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentGet.json'), get.body)).toEqual([]);
    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentListByServer.json'), list.body)).toEqual([]);
    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentGenerateKey.json'), gen.body)).toEqual([]);
    expect(gen.body.syncAgentKey).toMatch(/^[0-9a-f-]{36}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  });

  it('pages list results with nextLink', async () => {
    // Prepare
    const h = harness({ pageSize: 2 });

    // Act
    const first = await h.send('GET', `${SERVERS}?${API}`);
    const second = await h.send('GET', first.body.nextLink);

    // Assess
    expect(first.body.value.map((s: { name: string }) => s.name)).toEqual(['sql-primary', 'sql-secondary']);
    expect(second.body.value.map((s: { name: string }) => s.name)).toEqual(['sql-plain']);
    expect(second.body.nextLink).toBeUndefined();
  });
});

describe('Emulator contract: Key Vault bodies match the spec examples', () => {
  it('GetKey', async () => {
    const res = await harness().send('GET', `${KV}/keys/tde-key/${TDE_KEY_V2}?${KV_API}`);

    expect(shapeMismatches(example(KV_EXAMPLES, 'GetKey-example.2025-07-01.json'), res.body, ['$.tags'])).toEqual([]);
    expect(res.body.key.kid).toBe(`${KV}/keys/tde-key/${TDE_KEY_V2}`);
    expect(Buffer.from(res.body.key.n, 'base64url')).toHaveLength(3072 / 8);
    expect(Buffer.from(res.body.key.n, 'base64url')[0]! & 0x80).toBe(0x80);
    expect(res.body.key.e).toBe('AQAB');
    expect(res.body.attributes).toMatchObject({ enabled: true, nbf: expect.any(Number), exp: expect.any(Number), created: expect.any(Number), updated: expect.any(Number) });
  });

  it('CreateKey and RotateKey', async () => {
    // Prepare
    const h = harness();

    // Act
    const created = await h.send('POST', `${KV}/keys/new-key/create?${KV_API}`, { kty: 'RSA', key_size: 2048, attributes: {}, tags: { purpose: 'unit test' } });
    const rotated = await h.send('POST', `${KV}/keys/new-key/rotate?${KV_API}`);

    // Assess
    expect(shapeMismatches(example(KV_EXAMPLES, 'CreateKey-example.2025-06-01.json'), created.body, ['$.tags.'])).toEqual([]);
    expect(shapeMismatches(example(KV_EXAMPLES, 'RotateKey-example.2025-06-01.json'), rotated.body, ['$.tags.'])).toEqual([]);
    expect(rotated.body.key.kid).toMatch(/^https:\/\/test-tde\.vault\.azure\.net\/keys\/new-key\/[0-9a-f]{32}$/);
    expect(rotated.body.key.kid).not.toBe(created.body.key.kid);
    expect(h.created.map((c) => c.keyName)).toEqual(['new-key', 'new-key']);
  });

  it('updates key attributes (PATCH)', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('PATCH', `${KV}/keys/tde-key/${TDE_KEY_V2}?${KV_API}`, { attributes: { enabled: false } });

    // Assess
    expect(res.body.attributes.enabled).toBe(false);
    expect(h.state.keyVersion('test-tde', 'tde-key', TDE_KEY_V2)?.enabled).toBe(false);
  });

  it('lists key versions with paging', async () => {
    // Prepare
    const h = harness({ pageSize: 1 });

    // Act
    const first = await h.send('GET', `${KV}/keys/tde-key/versions?${KV_API}`);
    const second = await h.send('GET', first.body.nextLink);

    // Assess
    expect(first.body.value).toHaveLength(1);
    expect(second.body.value[0].kid).toBe(`${KV}/keys/tde-key/${TDE_KEY_V2}`);
    expect(second.body.nextLink).toBeNull();
  });

  it('answers 404 KeyNotFound for an unknown key', async () => {
    const res = await harness().send('GET', `${KV}/keys/nope?${KV_API}`);

    expect([res.status, res.body.error.code]).toEqual([404, 'KeyNotFound']);
  });

  it('SetSecret, GetSecret and secret versions', async () => {
    // Prepare
    const h = harness();
    const base = 'https://test-sync.vault.azure.net';

    // Act
    const set = await h.send('PUT', `${base}/secrets/crpsecret?${KV_API}`, { value: 'mysecretvalue' });
    const got = await h.send('GET', `${base}/secrets/crpsecret?${KV_API}`);
    const versions = await h.send('GET', `${base}/secrets/crpsecret/versions?${KV_API}`);

    // Assess
    expect(shapeMismatches(example(KV_EXAMPLES, 'SetSecret-example.2025-06-01.json'), set.body)).toEqual([]);
    expect(shapeMismatches(example(KV_EXAMPLES, 'GetSecret-example.2025-06-01.json'), got.body)).toEqual([]);
    expect(got.body.id).toBe(set.body.id);
    expect(versions.body.value[0]).not.toHaveProperty('value');
    expect(versions.body.value[0].id).toBe(set.body.id);
  });
});
