/**
 * How ARM's answers (and core-lro's reading of them) arrive in the domain, through the real @azure/arm-sql client
 * against the emulator: the codes issue 11 names, each with its class.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { SqlClientFactory } from '../../src/azure/sqlClientFactory.js';
import { DEFAULT_RETRY_POLICY, nextDelayMs } from '../../src/domain/backoff.js';
import { isNewerVersionInPlace } from '../../src/domain/errorClassification.js';
import { isRotationError, type RotationError } from '../../src/domain/errors.js';
import type { RunningEmulator } from '@sql-key-rotation/local-azure';
import {
  startTestEmulator,
  TDE_KEY_V1_NAME,
  TDE_KEY_V1_URI,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_SERVERS,
} from '../support/emulator.js';

const PLAIN = `${TEST_SERVERS}/sql-plain`;

async function failure(p: Promise<unknown>): Promise<RotationError> {
  try {
    await p;
  } catch (e) {
    if (isRotationError(e)) return e;
    throw e;
  }
  throw new Error('expected a RotationError');
}

describe('ARM error semantics (real @azure/arm-sql against the emulator)', () => {
  let emulator: RunningEmulator;
  let adapter: ArmSqlServerKeys;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    // SDK retries off: these tests are about how each answer is translated, not about the SDK's own retries.
    adapter = new ArmSqlServerKeys(new SqlClientFactory(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } }), { pollIntervalMs: 10 });
    await adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
  });
  afterAll(async () => {
    await emulator.stop();
  });
  afterEach(() => {
    emulator.faults.clear();
    emulator.state.behaviour.refuseOlderProtectorVersion = false;
  });

  it('reports 409 EncryptionProtectorChangeInProgress on a protector switch as retriable', async () => {
    emulator.faults.inject({ kind: 'encryptionProtectorChangeInProgress', route: 'arm.encryptionProtectors.createOrUpdate', times: 1 });

    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false));

    expect(err).toMatchObject({ code: 'EncryptionProtectorChangeInProgress', errorClass: 'retriable', details: { statusCode: 409, server: PLAIN } });
  });

  it('reports 409 OperationInterrupted as retriable', async () => {
    emulator.faults.inject({ kind: 'operationInterrupted', route: 'arm.serverKeys.createOrUpdate', times: 1 });

    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    expect(err).toMatchObject({ code: 'OperationInterrupted', errorClass: 'retriable' });
  });

  it('reports 503 AzureKeyVaultConnectionFailed as retriable', async () => {
    emulator.faults.inject({ kind: 'keyVaultConnectionFailed', route: 'arm.serverKeys.createOrUpdate', times: 1 });

    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    expect(err).toMatchObject({ code: 'AzureKeyVaultConnectionFailed', errorClass: 'retriable', details: { statusCode: 503 } });
  });

  it('reports an operation that failed without an error code as OperationFailed, retried 3 times in all', async () => {
    emulator.faults.inject({ kind: 'operationFailedWithoutCode', route: 'arm.operations.status', times: 1 });

    const err = await failure(adapter.upsertServerKey(PLAIN, TDE_KEY_V2_NAME, TDE_KEY_V2_URI));

    expect(err).toMatchObject({ code: 'OperationFailed', errorClass: 'retriable' });
    const next = (attempt: number) => nextDelayMs({ attempt, policy: DEFAULT_RETRY_POLICY, random: () => 0.5, kind: 'retriable', code: err.code });
    expect([next(1), next(2), next(3)].map((d) => d !== undefined)).toEqual([true, true, false]);
  });

  it('reports a canceled operation as terminal', async () => {
    emulator.faults.inject({ kind: 'operationCanceled', route: 'arm.operations.status', times: 1 });

    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false));

    expect(err).toMatchObject({ code: 'OperationCanceled', errorClass: 'terminal' });
  });

  it('reports SQL refusing an older version as protector as "a newer version is in place"', async () => {
    emulator.state.behaviour.refuseOlderProtectorVersion = true;
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false);

    const err = await failure(adapter.setEncryptionProtector(PLAIN, TDE_KEY_V1_NAME, false));

    expect(err).toMatchObject({ code: 'OldGenerationOfAKVKeyBeingUsedError', errorClass: 'terminal', details: { statusCode: 400 } });
    expect(isNewerVersionInPlace(err)).toBe(true);
    expect((await adapter.getEncryptionProtector(PLAIN)).uri).toBe(TDE_KEY_V2_URI);
  });

  it('lets the protector go back to an older version when the option is off (the emulator default)', async () => {
    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V2_NAME, false);

    await adapter.setEncryptionProtector(PLAIN, TDE_KEY_V1_NAME, false);

    expect((await adapter.getEncryptionProtector(PLAIN)).uri).toBe(TDE_KEY_V1_URI);
  });
});
