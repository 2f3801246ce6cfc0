import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { ArmBudget } from '../../src/domain/armBudget.js';
import { freshEmulatorCredential } from './freshEmulatorCredential.js';
import { noRetrySqlClients, useTestEmulator } from '../support/emulatorFixture.js';
import { rotationFailure as failure } from '../support/rotationFailure.js';
import {
  startTestEmulator,
  TDE_KEY_V1_NAME,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT_URL,
  testServerId,
} from '../support/emulator.js';

const PLAIN = testServerId('sql-plain');
const PRIMARY = testServerId('sql-primary');
const SECONDARY = testServerId('sql-secondary');

describe('ArmSqlServerKeys (real @azure/arm-sql against the emulator)', () => {
  const emulator = useTestEmulator();
  let adapter: ArmSqlServerKeys;

  beforeAll(() => {
    // SDK retries off: these tests are about how each ARM answer is translated.
    adapter = new ArmSqlServerKeys(noRetrySqlClients(), { pollIntervalMs: 10 });
  });

  it('upserts a server key through the long-running operation (202, then polling)', async () => {
    // Prepare
    const before = emulator.stats.log.length;

    // Act
    await adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);

    // Assess
    expect(await adapter.hasServerKey(PLAIN, TDE_KEY_V2_NAME)).toBe(true);
    const routes = emulator.stats.log.slice(before).map((e) => `${e.route}:${e.status}`);
    expect(routes).toContain('arm.serverKeys.createOrUpdate:202');
    expect(routes.some((r) => r.startsWith('arm.operations.'))).toBe(true);
  });

  it('treats upserting a key that is already there as success when Azure answers it with a 202', async () => {
    await adapter.upsertServerKey(PLAIN, TDE_KEY_V1_NAME, `${TEST_TDE_VAULT_URL}/keys/tde-key/${'1'.repeat(32)}`);
    await expect(
      adapter.upsertServerKey(PLAIN, TDE_KEY_V1_NAME, `${TEST_TDE_VAULT_URL}/keys/tde-key/${'1'.repeat(32)}`),
    ).resolves.toBeUndefined();
  });

  describe('when Azure refuses a repeated upsert with 409 ServerKeyNameAlreadyExists (as the ServerKeys spec lists)', () => {
    beforeEach(() => {
      emulator.state.behaviour.repeatedKeyUpsert = 'conflict';
    });
    afterEach(() => {
      emulator.state.behaviour.repeatedKeyUpsert = 'accepted';
    });

    it('treats the conflict as success: the key is there', async () => {
      // Prepare
      await adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
      const before = emulator.stats.log.length;

      // Act
      await expect(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI)).resolves.toBeUndefined();

      // Assess: the 409 was answered (the branch ran) and the key is in place
      expect(emulator.stats.log.slice(before).map((e) => `${e.route}:${e.status}`)).toContain('arm.serverKeys.createOrUpdate:409');
      expect(await adapter.hasServerKey(PLAIN, TDE_KEY_V2_NAME)).toBe(true);
    });

    it('still fails on another 409 of the same upsert (the key vault key name is unknown)', async () => {
      const err = await failure(adapter.upsertServerKey(PLAIN, `${TDE_KEY_V2_NAME.replace(/_[^_]+$/, '')}_${'9'.repeat(32)}`, `${TEST_TDE_VAULT_URL}/keys/tde-key/${'9'.repeat(32)}`));

      expect(err).toMatchObject({ code: 'AzureKeyVaultKeyNameNotFound', errorClass: 'terminal', details: { statusCode: 409 } });
    });
  });

  it('reads and switches the encryption protector', async () => {
    // Prepare
    await adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);

    // Act
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false);

    // Assess
    const p = await adapter.getEncryptionProtector(PLAIN);
    expect(p).toMatchObject({ serverKeyName: TDE_KEY_V2_NAME, serverKeyType: 'AzureKeyVault', autoRotationEnabled: false });
    expect(p.uri?.toLowerCase()).toBe(TDE_KEY_V2_URI.toLowerCase());
  });

  it('reports a missing server key as false, not as an error', async () => {
    expect(await adapter.hasServerKey(PLAIN, `test-tde_tde-key_${'f'.repeat(32)}`)).toBe(false);
  });

  it('classifies a protector switch to a key the server lacks as terminal ServerKeyDoesNotExists', async () => {
    const err = await failure(adapter.setEncryptionProtector(PLAIN, `test-tde_tde-key_${'e'.repeat(32)}`, false));

    expect(err.code).toBe('ServerKeyDoesNotExists');
    expect(err.errorClass).toBe('terminal');
    expect(err.details.server).toBe(PLAIN);
  });

  it('classifies a primary switch before its geo secondary has the key as waiting on order', async () => {
    // Prepare
    await adapter.upsertServerKey(PRIMARY, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    const secondary = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-secondary');
    secondary?.keys.delete(TDE_KEY_V2_NAME.toLowerCase());

    // Act
    const err = await failure(adapter.setEncryptionProtector(PRIMARY, TDE_KEY_V2_NAME, false));

    // Assess
    expect(err.code).toBe('KeyMaterialNotFoundOnRemoteServer');
    expect(err.errorClass).toBe('waitingOnOrder');
    await adapter.upsertServerKey(SECONDARY, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    await expect(adapter.setEncryptionProtector(PRIMARY, TDE_KEY_V2_NAME, false)).resolves.toBeUndefined();
  });

  it('classifies a 429 as retriable and carries Retry-After as the minimum wait', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'throttle', route: 'arm.serverKeys.createOrUpdate', times: 1, retryAfterSeconds: 7 });

    // Act
    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    // Assess
    expect(err.errorClass).toBe('retriable');
    expect(err.details.statusCode).toBe(429);
    expect(err.details.retryAfterMs).toBe(7_000);
  });

  it.each([
    ['serviceUnavailable', 503],
    ['operationTimedOut', 500],
    ['operationInterrupted', 409],
  ] as const)('classifies %s as retriable', async (kind, status) => {
    // Prepare
    emulator.faults.inject({ kind, route: 'arm.serverKeys.createOrUpdate', times: 1 });

    // Act
    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    // Assess
    expect(err.errorClass).toBe('retriable');
    expect(err.details.statusCode).toBe(status);
  });

  it('classifies a connection reset as a retriable network error', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'connectionReset', route: 'arm.encryptionProtectors.get', times: 1 });

    // Act
    const err = await failure(adapter.getEncryptionProtector(PLAIN));

    // Assess
    expect(err.code).toBe('NetworkError');
    expect(err.errorClass).toBe('retriable');
  });

  it('classifies Azure validation errors as terminal, with their own codes', async () => {
    const err = await failure(
      adapter.upsertServerKey(PLAIN, `test-tde_disabled-key_${'3'.repeat(32)}`, `${TEST_TDE_VAULT_URL}/keys/disabled-key/${'3'.repeat(32)}`),
    );

    expect(err.code).toBe('AzureKeyVaultKeyDisabled');
    expect(err.errorClass).toBe('terminal');
  });

  it('lists servers by subscription and by resource group across pages', async () => {
    const all = await adapter.listServers(`/subscriptions/${TEST_SUBSCRIPTION_ID}`);
    const rg = await adapter.listServers(`/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}`);

    expect(all.length).toBeGreaterThan(2);
    expect(rg.map((id) => id.split('/').at(-1)).sort()).toEqual(['sql-plain', 'sql-primary', 'sql-secondary']);
  });

  it('paces reads and writes with the client-side budget so the subscription buckets never answer 429', async () => {
    // Prepare
    const bucket = { capacity: 3, refillPerSecond: 5 };
    const local = await startTestEmulator({ writeBucket: bucket, readBucket: bucket });
    try {
      const paced = new ArmSqlServerKeys(
        noRetrySqlClients(freshEmulatorCredential(), {
          budget: new ArmBudget({ buckets: { read: bucket, write: bucket }, reserveFraction: 0 }),
          maxInlineWaitMs: 5_000,
        }),
        { pollIntervalMs: 10 },
      );

      // Act
      for (let i = 0; i < 8; i++) await paced.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);

      // Assess
      expect(local.stats.log.filter((e) => e.status === 429)).toEqual([]);
    } finally {
      await local.stop();
    }
  });
});
