/**
 * How ARM's answers (and core-lro's reading of them) arrive in the domain, through the real @azure/arm-sql client
 * against the emulator: the codes issue 11 names, each with its class.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { DEFAULT_RETRY_POLICY, nextDelayMs } from '../../src/domain/nextDelayMs.js';
import { isNewerVersionInPlace } from '../../src/domain/classifyArmError.js';
import { noRetrySqlClients, useTestEmulator } from '../support/emulatorFixture.js';
import { rotationFailure as failure } from '../support/rotationFailure.js';
import { TDE_KEY_V1_NAME, TDE_KEY_V1_URI, TDE_KEY_V2_NAME, TDE_KEY_V2_URI, testServerId } from '../support/emulator.js';

const PLAIN = testServerId('sql-plain');

describe('ARM error semantics (real @azure/arm-sql against the emulator)', () => {
  const emulator = useTestEmulator();
  let adapter: ArmSqlServerKeys;

  beforeAll(async () => {
    // SDK retries off: these tests are about how each answer is translated, not about the SDK's own retries.
    adapter = new ArmSqlServerKeys(noRetrySqlClients(), { pollIntervalMs: 10 });
    await adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
  });
  afterEach(() => {
    emulator.state.behaviour.refuseOlderProtectorVersion = false;
  });

  it('reports 409 EncryptionProtectorChangeInProgress on a protector switch as retriable', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'encryptionProtectorChangeInProgress', route: 'arm.encryptionProtectors.createOrUpdate', times: 1 });

    // Act
    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false));

    // Assess
    expect(err).toMatchObject({ code: 'EncryptionProtectorChangeInProgress', errorClass: 'retriable', details: { statusCode: 409, server: PLAIN } });
  });

  it('reports 409 OperationInterrupted as retriable', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'operationInterrupted', route: 'arm.serverKeys.createOrUpdate', times: 1 });

    // Act
    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    // Assess
    expect(err).toMatchObject({ code: 'OperationInterrupted', errorClass: 'retriable' });
  });

  it('reports 503 AzureKeyVaultConnectionFailed as retriable', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'keyVaultConnectionFailed', route: 'arm.serverKeys.createOrUpdate', times: 1 });

    // Act
    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    // Assess
    expect(err).toMatchObject({ code: 'AzureKeyVaultConnectionFailed', errorClass: 'retriable', details: { statusCode: 503 } });
  });

  it('reports an operation that failed without an error code as OperationFailed, retried 3 times in all', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'operationFailedWithoutCode', route: 'arm.operations.status', times: 1 });

    // Act
    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    // Assess
    expect(err).toMatchObject({ code: 'OperationFailed', errorClass: 'retriable' });
    const next = (attempt: number) => nextDelayMs({ attempt, policy: DEFAULT_RETRY_POLICY, random: () => 0.5, kind: 'retriable', code: err.code });
    expect([next(1), next(2), next(3)].map((d) => d !== undefined)).toEqual([true, true, false]);
  });

  it('reports a canceled operation as terminal', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'operationCanceled', route: 'arm.operations.status', times: 1 });

    // Act
    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false));

    // Assess
    expect(err).toMatchObject({ code: 'OperationCanceled', errorClass: 'terminal' });
  });

  it('reports SQL refusing an older version as protector as "a newer version is in place"', async () => {
    // Prepare
    emulator.state.behaviour.refuseOlderProtectorVersion = true;
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false);

    // Act
    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V1_NAME, false));

    // Assess
    expect(err).toMatchObject({ code: 'OldGenerationOfAKVKeyBeingUsedError', errorClass: 'terminal', details: { statusCode: 400 } });
    expect(isNewerVersionInPlace(err)).toBe(true);
    expect((await adapter.getEncryptionProtector(PLAIN)).uri).toBe(TDE_KEY_V2_URI);
  });

  it('lets the protector go back to an older version when the option is off (the emulator default)', async () => {
    // Prepare
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false);

    // Act
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V1_NAME, false);

    // Assess
    expect((await adapter.getEncryptionProtector(PLAIN)).uri).toBe(TDE_KEY_V1_URI);
  });
});
