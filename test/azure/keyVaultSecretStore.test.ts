import { beforeAll, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { shortRetryOptions } from '../../src/azure/shortRetryOptions.js';
import { KeyVaultSecretStore } from '../../src/azure/keyVaultSecretStore.js';
import { Secret } from '../../src/domain/secret.js';
import { safeStringify } from '../support/fakes/captureLogger.js';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { answering, everythingAbout as everything, fixedTokenCredential } from '../support/injectedHttp.js';
import { rotationFailure as rejection } from '../support/rotationFailure.js';
import { TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL } from '../support/emulator.js';

const VALUE = '865f9998-6dae-4214-bbb1-4796b7c76ca0:dGVzdC1hZ2VudC1rZXktb25l:dGVzdC1hZ2VudC1rZXktdHdvLXNlY3JldA==';

describe('Class: KeyVaultSecretStore (against the emulator)', () => {
  const emulator = useTestEmulator();
  let store: KeyVaultSecretStore;
  let noRetries: KeyVaultSecretStore;

  beforeAll(() => {
    store = new KeyVaultSecretStore(new DefaultAzureCredential());
    noRetries = new KeyVaultSecretStore(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } });
  });

  it('writes the value with content type, tags and expiry', async () => {
    // Prepare
    const expiresOn = new Date('2027-01-01T00:00:00Z');

    // Act
    await store.setSecret(TEST_SYNC_VAULT_URL, 'agent-written', new Secret(VALUE), {
      contentType: 'text/plain',
      tags: { syncAgentId: '/subscriptions/x/agent', rotatedAt: '2026-03-01T03:00:00.000Z' },
      expiresOn,
    });

    // Assess
    expect(emulator.state.currentSecretValue(TEST_SYNC_VAULT, 'agent-written')).toBe(VALUE);
    const versions = emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get('agent-written')?.versions ?? [];
    expect(versions.at(-1)).toMatchObject({
      contentType: 'text/plain',
      tags: { syncAgentId: '/subscriptions/x/agent', rotatedAt: '2026-03-01T03:00:00.000Z' },
      exp: expiresOn.getTime() / 1000,
    });
  });

  it('reads the newest version updated time and tags, without the value', async () => {
    // Prepare
    await store.setSecret(TEST_SYNC_VAULT_URL, 'agent-read', new Secret('first-value-0001'), { contentType: 'text/plain', tags: { n: '1' } });
    await store.setSecret(TEST_SYNC_VAULT_URL, 'agent-read', new Secret('second-value-0002'), { contentType: 'text/plain', tags: { n: '2' } });

    // Act
    const info = await store.getSecretInfo(TEST_SYNC_VAULT_URL, 'agent-read');

    // Assess
    expect(info?.tags).toEqual({ n: '2' });
    expect(info?.updatedOn).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - info!.updatedOn!.getTime())).toBeLessThan(60_000);
    expect(safeStringify(info)).not.toContain('second-value-0002');
  });

  it('answers undefined for a secret that does not exist', async () => {
    expect(await store.getSecretInfo(TEST_SYNC_VAULT_URL, 'never-written')).toBeUndefined();
  });

  it('rides out a single 503 on setSecret with its short in-process retry', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.set', times: 1, retryAfterSeconds: 0 });

    // Act
    await store.setSecret(TEST_SYNC_VAULT_URL, 'agent-retried', new Secret(VALUE), { contentType: 'text/plain', tags: {} });

    // Assess
    expect(emulator.state.currentSecretValue(TEST_SYNC_VAULT, 'agent-retried')).toBe(VALUE);
  });

  it('reports a 503 on setSecret as retriable, and the error holds no trace of the value', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.set', times: 1, retryAfterSeconds: 4 });

    // Act
    const err = await rejection(
      noRetries.setSecret(TEST_SYNC_VAULT_URL, 'agent-unavailable', new Secret(VALUE), { contentType: 'text/plain', tags: {} }),
    );

    // Assess
    expect(err.errorClass).toBe('retriable');
    expect(err.details).toMatchObject({ vault: TEST_SYNC_VAULT, key: 'agent-unavailable', statusCode: 503, retryAfterMs: 4_000 });
    expect(err.cause).toBeUndefined();
    expect(everything(err)).not.toContain(VALUE);
    expect(emulator.state.currentSecretValue(TEST_SYNC_VAULT, 'agent-unavailable')).toBeUndefined();
  });

  it('hands a long Retry-After to the backoff queue at once, naming the vault and the secret', async () => {
    // Prepare: as the composition root builds it: no in-process wait longer than a few seconds.
    const production = new KeyVaultSecretStore(new DefaultAzureCredential(), { additionalPolicies: shortRetryOptions().additionalPolicies });
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.set', times: 1, retryAfterSeconds: 60 });

    // Act
    const err = await rejection(
      production.setSecret(TEST_SYNC_VAULT_URL, 'agent-long-wait', new Secret(VALUE), { contentType: 'text/plain', tags: {} }),
    );

    // Assess
    expect(err.errorClass).toBe('retriable');
    expect(err.details).toMatchObject({ vault: TEST_SYNC_VAULT, key: 'agent-long-wait', retryAfterMs: 60_000 });
    expect(everything(err)).not.toContain(VALUE);
  });

  it('reports a network failure on setSecret as retriable', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'connectionReset', route: 'kv.secrets.set', times: 1 });

    // Act
    const err = await rejection(
      noRetries.setSecret(TEST_SYNC_VAULT_URL, 'agent-reset', new Secret(VALUE), { contentType: 'text/plain', tags: {} }),
    );

    // Assess
    expect(err).toMatchObject({ code: 'NetworkError', errorClass: 'retriable' });
    expect(everything(err)).not.toContain(VALUE);
  });

  it('reports a 503 on getSecret as retriable', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.get', times: 1, retryAfterSeconds: 2 });

    // Act
    const err = await rejection(noRetries.getSecretInfo(TEST_SYNC_VAULT_URL, 'agent-written'));

    // Assess
    expect(err).toMatchObject({ errorClass: 'retriable', details: { statusCode: 503 } });
  });
});

describe('Class: KeyVaultSecretStore (injected HTTP client: answers the SDK cannot read)', () => {
  // Holds `+` and `/`, which Key Vault JSON-escapes (`\u002b`), so exact-substring masking would miss it.
  const PLUS_VALUE = '865f9998-6dae-4214-bbb1-4796b7c76ca0:c2Vj+cmV0/LXBh+cnQtb25l:c2Vj+cmV0LXBhcnQtdHdv';
  const ESCAPED = PLUS_VALUE.replace(/\+/g, '\\u002b');
  const storeWith = (httpClient: HttpClient) => new KeyVaultSecretStore(fixedTokenCredential, { httpClient, retryOptions: { maxRetries: 0 } });
  const fragments = (v: string): string[] => v.split(/[:+/]/).filter((f) => f.length >= 8);

  it.each([
    ['setSecret', (s: KeyVaultSecretStore) => s.setSecret('https://test-sync.vault.azure.net', 'agent-x', new Secret(PLUS_VALUE), { contentType: 'text/plain', tags: {} })],
    ['getSecretInfo', (s: KeyVaultSecretStore) => s.getSecretInfo('https://test-sync.vault.azure.net', 'agent-x')],
  ] as const)('withholds a 200 body that %s cannot parse, which quotes the live value JSON-escaped', async (_op, call) => {
    const err = await rejection(call(storeWith(answering(200, `{"value":"${ESCAPED}","id":"https://test-sync.vault.azure.net/secrets/agent-x/`))));

    expect(err).toMatchObject({ code: 'UnexpectedResponse', errorClass: 'retriable', details: { vault: 'test-sync', key: 'agent-x' } });
    expect(err.cause).toBeUndefined();
    const text = everything(err);
    expect(text).not.toContain(ESCAPED);
    for (const f of fragments(PLUS_VALUE)) expect(text).not.toContain(f);
  });

  it('keeps Key Vault’s own message for an error status', async () => {
    // Prepare
    const body = JSON.stringify({ error: { code: 'Forbidden', message: 'The user does not have secrets set permission on key vault test-sync.' } });

    // Act
    const err = await rejection(
      storeWith(answering(403, body)).setSecret('https://test-sync.vault.azure.net', 'agent-x', new Secret(PLUS_VALUE), { contentType: 'text/plain', tags: {} }),
    );

    // Assess
    expect(err).toMatchObject({ code: 'Forbidden', errorClass: 'terminal', details: { statusCode: 403 } });
    expect(err.message).toContain('does not have secrets set permission');
    expect(everything(err)).not.toContain(ESCAPED);
  });

  it('withholds the message of a failure that is not an answer (it may quote the request)', async () => {
    // Prepare
    const failing: HttpClient = { sendRequest: () => Promise.reject(new TypeError(`Unexpected token in JSON: "${PLUS_VALUE}"`)) };

    // Act
    const err = await rejection(
      storeWith(failing).setSecret('https://test-sync.vault.azure.net', 'agent-x', new Secret(PLUS_VALUE), { contentType: 'text/plain', tags: {} }),
    );

    // Assess
    expect(err).toMatchObject({ code: 'UnexpectedError', errorClass: 'terminal' });
    expect(err.message).toBe('setSecret of secret agent-x in test-sync failed: UnexpectedError (SDK message withheld)');
    for (const f of fragments(PLUS_VALUE)) expect(everything(err)).not.toContain(f);
  });
});
