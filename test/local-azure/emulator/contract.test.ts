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

const VECTORS = resolve(__dirname, '..', '..', '..', '..', 'shared', 'vectors');
const SQL_EXAMPLES = resolve(VECTORS, 'sql-spec', '2025-01-01', 'examples');
const KV_EXAMPLES = resolve(VECTORS, 'keyvault-spec', 'examples');
const SERVERS = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql/servers`;
const KV = 'https://test-tde.vault.azure.net';
const KV_API = 'api-version=7.6';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
function example(dir: string, file: string, status = '200'): any {
  const e = JSON.parse(readFileSync(resolve(dir, file), 'utf8'));
  const body = e.responses[status]?.body;
  // An empty example would make every shape comparison below pass: the vector must say something.
  expect(Object.keys(body ?? {}), `${file} ${status}`).not.toHaveLength(0);
  return body;
}

/** The `{status} {Code} - {description}` lines of a spec's error descriptions, as `status Code`. */
function specErrorCodes(file: string): Set<string> {
  const text = readFileSync(resolve(VECTORS, 'sql-spec', '2025-01-01', file), 'utf8');
  const codes = new Set([...text.matchAll(/\* (\d{3}) ([A-Za-z0-9]+) - /g)].map((m) => `${m[1]} ${m[2]}`));
  expect(codes.size, file).toBeGreaterThan(0);
  return codes;
}

/** Every property path of a JSON value with its JSON type; arrays are described by their first element. */
function shape(v: unknown, path = '$', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) {
    out.set(path, 'array');
    if (v.length > 0) shape(v[0], `${path}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    out.set(path, 'object');
    for (const [k, x] of Object.entries(v)) shape(x, `${path}.${k}`, out);
  } else out.set(path, v === null ? 'null' : typeof v);
  return out;
}

/** Paths of the example that the actual body lacks or types differently (ignoring the given prefixes). */
function shapeMismatches(exampleBody: unknown, actual: unknown, ignore: string[] = []): string[] {
  const want = shape(exampleBody);
  const got = shape(actual);
  const problems: string[] = [];
  for (const [p, t] of want) {
    if (ignore.some((i) => p.startsWith(i))) continue;
    if (!got.has(p)) problems.push(`missing ${p}`);
    else if (got.get(p) !== t) problems.push(`${p}: ${got.get(p)} instead of ${t}`);
  }
  return problems;
}

describe('Emulator contract: Microsoft.Sql bodies match the 2025-01-01 examples', () => {
  it('ServerList', async () => {
    const res = await harness({ pageSize: 100 }).send('GET', `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/providers/Microsoft.Sql/servers?${API}`);

    // Fields of features the emulator does not model (private endpoints, governance, IPv6, workspaces).
    const unmodelled = ['$.value[].properties.privateEndpointConnections[]', '$.value[].properties.externalGovernanceStatus', '$.value[].properties.isIPv6Enabled', '$.value[].properties.workspaceFeature'];
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerList.json'), res.body, unmodelled)).toEqual([]);
  });

  it('ServerKeyGet and ServerKeyList', async () => {
    const h = harness({ pageSize: 100 });

    const get = await h.send('GET', `${SERVERS}/sql-primary/keys/${TDE_KEY_V1_NAME}?${API}`);
    const list = await h.send('GET', `${SERVERS}/sql-primary/keys?${API}`);

    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerKeyGet.json'), get.body)).toEqual([]);
    expect(get.body.properties).toMatchObject({ subregion: 'westeurope', autoRotationEnabled: false });
    expect(get.body.kind).toBe('azurekeyvault');
    expect(shapeMismatches(example(SQL_EXAMPLES, 'ServerKeyList.json'), list.body)).toEqual([]);
    expect(list.body.value.map((k: { name: string }) => k.name).sort()).toEqual(['ServiceManaged', TDE_KEY_V1_NAME].sort());
  });

  it('ServerKeyCreateOrUpdate: 202 with the LRO headers of the recordings, then the example body', async () => {
    const h = harness({ lroInProgressPolls: 2 });

    const put = await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

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
    const h = harness();
    h.state.behaviour.repeatedKeyUpsert = 'conflict';
    const url = `${SERVERS}/sql-primary/keys/${TDE_KEY_V1_NAME}?${API}`;

    const repeated = await h.send('PUT', url, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V1_URI } });
    const fresh = await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

    expect(specErrorCodes('ServerKeys.json')).toContain('409 ServerKeyNameAlreadyExists');
    expect(repeated.status).toBe(409);
    expect(repeated.body.error).toEqual({ code: 'ServerKeyNameAlreadyExists', message: 'The server key already exists on the server.' });
    expect(fresh.status).toBe(202);
  });

  it('EncryptionProtectorGet and EncryptionProtectorCreateOrUpdate', async () => {
    const h = harness();
    await h.send('PUT', `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } });

    const get = await h.send('GET', `${SERVERS}/sql-plain/encryptionProtector/current?${API}`);
    const put = await h.send('PUT', `${SERVERS}/sql-plain/encryptionProtector/current?${API}`, { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V2_NAME, autoRotationEnabled: true } });
    await h.send('GET', put.headers['azure-asyncoperation']!);
    await h.send('GET', put.headers['azure-asyncoperation']!);
    const result = await h.send('GET', put.headers['location']!);

    expect(shapeMismatches(example(SQL_EXAMPLES, 'EncryptionProtectorGet.json'), get.body)).toEqual([]);
    expect(get.body.properties.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(put.status).toBe(202);
    expect(put.headers['azure-asyncoperation']).toContain('/encryptionProtectorAzureAsyncOperation/');
    expect(shapeMismatches(example(SQL_EXAMPLES, 'EncryptionProtectorCreateOrUpdateKeyVault.json'), result.body)).toEqual([]);
    expect(result.body.properties).toMatchObject({ serverKeyName: TDE_KEY_V2_NAME, uri: TDE_KEY_V2_URI, autoRotationEnabled: true });
  });

  it('SyncAgentGet, SyncAgentListByServer and SyncAgentGenerateKey', async () => {
    const h = harness();

    const get = await h.send('GET', `${SERVERS}/sql-primary/syncAgents/agent-1?${API}`);
    const list = await h.send('GET', `${SERVERS}/sql-primary/syncAgents?${API}`);
    const gen = await h.send('POST', `${SERVERS}/sql-primary/syncAgents/agent-1/generateKey?${API}`);

    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentGet.json'), get.body)).toEqual([]);
    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentListByServer.json'), list.body)).toEqual([]);
    expect(shapeMismatches(example(SQL_EXAMPLES, 'SyncAgentGenerateKey.json'), gen.body)).toEqual([]);
    expect(gen.body.syncAgentKey).toMatch(/^[0-9a-f-]{36}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  });

  it('pages list results with nextLink', async () => {
    const h = harness({ pageSize: 2 });

    const first = await h.send('GET', `${SERVERS}?${API}`);
    const second = await h.send('GET', first.body.nextLink);

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
    const h = harness();

    const created = await h.send('POST', `${KV}/keys/new-key/create?${KV_API}`, { kty: 'RSA', key_size: 2048, attributes: {}, tags: { purpose: 'unit test' } });
    const rotated = await h.send('POST', `${KV}/keys/new-key/rotate?${KV_API}`);

    expect(shapeMismatches(example(KV_EXAMPLES, 'CreateKey-example.2025-06-01.json'), created.body, ['$.tags.'])).toEqual([]);
    expect(shapeMismatches(example(KV_EXAMPLES, 'RotateKey-example.2025-06-01.json'), rotated.body, ['$.tags.'])).toEqual([]);
    expect(rotated.body.key.kid).toMatch(/^https:\/\/test-tde\.vault\.azure\.net\/keys\/new-key\/[0-9a-f]{32}$/);
    expect(rotated.body.key.kid).not.toBe(created.body.key.kid);
    expect(h.created.map((c) => c.keyName)).toEqual(['new-key', 'new-key']);
  });

  it('updates key attributes (PATCH)', async () => {
    const h = harness();

    const res = await h.send('PATCH', `${KV}/keys/tde-key/${TDE_KEY_V2}?${KV_API}`, { attributes: { enabled: false } });

    expect(res.body.attributes.enabled).toBe(false);
    expect(h.state.keyVersion('test-tde', 'tde-key', TDE_KEY_V2)?.enabled).toBe(false);
  });

  it('lists key versions with paging', async () => {
    const h = harness({ pageSize: 1 });

    const first = await h.send('GET', `${KV}/keys/tde-key/versions?${KV_API}`);
    const second = await h.send('GET', first.body.nextLink);

    expect(first.body.value).toHaveLength(1);
    expect(second.body.value[0].kid).toBe(`${KV}/keys/tde-key/${TDE_KEY_V2}`);
    expect(second.body.nextLink).toBeNull();
  });

  it('answers 404 KeyNotFound for an unknown key', async () => {
    const res = await harness().send('GET', `${KV}/keys/nope?${KV_API}`);

    expect([res.status, res.body.error.code]).toEqual([404, 'KeyNotFound']);
  });

  it('SetSecret, GetSecret and secret versions', async () => {
    const h = harness();
    const base = 'https://test-sync.vault.azure.net';

    const set = await h.send('PUT', `${base}/secrets/crpsecret?${KV_API}`, { value: 'mysecretvalue' });
    const got = await h.send('GET', `${base}/secrets/crpsecret?${KV_API}`);
    const versions = await h.send('GET', `${base}/secrets/crpsecret/versions?${KV_API}`);

    expect(shapeMismatches(example(KV_EXAMPLES, 'SetSecret-example.2025-06-01.json'), set.body)).toEqual([]);
    expect(shapeMismatches(example(KV_EXAMPLES, 'GetSecret-example.2025-06-01.json'), got.body)).toEqual([]);
    expect(got.body.id).toBe(set.body.id);
    expect(versions.body.value[0]).not.toHaveProperty('value');
    expect(versions.body.value[0].id).toBe(set.body.id);
  });
});
