/**
 * Polling of long-running operations against an emulator with Azure's recorded behaviour (operations that take
 * a while, no Retry-After), scaled down to fractions of a second: when the polls go out, how many ARM reads an
 * operation costs, and that polls wait for read tokens instead of being answered 429.
 */
import { freshEmulatorCredential } from './freshEmulatorCredential.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { SqlClientFactory } from '../../src/azure/sqlClientFactory.js';
import { ArmBudget } from '../../src/domain/armBudget.js';
import { PollSchedule } from '../../src/domain/pollSchedule.js';
import type { Estate, RunningEmulator } from '@sql-key-rotation/local-azure';
import {
  startTestEmulator,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SERVERS,
  TEST_SUBSCRIPTION_ID,
  testEstate,
} from '../support/emulator.js';

const OPERATION_MS = 300;

/** The test estate plus `n` plain servers `sql-extra-{i}`. */
function estateWith(n: number): Estate {
  const estate = structuredClone(testEstate()) as unknown as { subscriptions: { resourceGroups: { name: string; servers: unknown[] }[] }[] };
  const rg = estate.subscriptions[0]!.resourceGroups.find((g) => g.name === TEST_RESOURCE_GROUP)!;
  for (let i = 0; i < n; i++) rg.servers.push({ name: `sql-extra-${i}`, location: 'westeurope' });
  return estate as unknown as Estate;
}

function reads(emulator: RunningEmulator, since: number): string[] {
  return emulator.stats.log.slice(since).filter((e) => e.method === 'GET' && e.route.startsWith('arm.')).map((e) => e.route);
}

describe('ArmSqlServerKeys polling (real @azure/arm-sql against an emulator with realistic operation timings)', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  const start = (o: Parameters<typeof startTestEmulator>[0] = {}) =>
    startTestEmulator({ lroInProgressPolls: 0, lroRetryAfterSeconds: false, operationDurationMs: OPERATION_MS, ...o });

  it('polls once, when the operation is expected to be done, and skips the final GET of the resource', async () => {
    // Prepare
    emulator = await start();
    const schedule = new PollSchedule({}, { serverKey: OPERATION_MS + 50, encryptionProtector: OPERATION_MS + 50 });
    const adapter = new ArmSqlServerKeys(new SqlClientFactory(freshEmulatorCredential(), { retryOptions: { maxRetries: 0 } }), { pollSchedule: schedule });
    const before = emulator.stats.log.length;

    // Act
    await adapter.upsertServerKey(`${TEST_SERVERS}/sql-plain`, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    await adapter.setEncryptionProtector(`${TEST_SERVERS}/sql-plain`, TDE_KEY_V2_NAME, false);

    // Assess
    expect(reads(emulator, before)).toEqual(['arm.operations.status', 'arm.operations.status']);
    expect(emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
  });

  it('learns the duration of an operation kind from the operations before it', async () => {
    // Prepare
    emulator = await start({ estate: estateWith(12) });
    const schedule = new PollSchedule({ initialExpectedMs: 150, minDelayMs: 10 });
    const adapter = new ArmSqlServerKeys(new SqlClientFactory(freshEmulatorCredential(), { retryOptions: { maxRetries: 0 } }), { pollSchedule: schedule });

    // Act
    for (let i = 0; i < 6; i++) await adapter.upsertServerKey(`${TEST_SERVERS}/sql-extra-${i}`, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    const before = emulator.stats.log.length;
    for (let i = 6; i < 12; i++) await adapter.upsertServerKey(`${TEST_SERVERS}/sql-extra-${i}`, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBeGreaterThan(OPERATION_MS * 0.9);
    expect(reads(emulator, before).length / 6).toBeLessThanOrEqual(2);
  });

  it('lets polls wait for read tokens: concurrent operations under a small read bucket see no 429', async () => {
    // Prepare
    const bucket = { capacity: 4, refillPerSecond: 20 };
    emulator = await start({ estate: estateWith(10), readBucket: bucket, writeBucket: bucket });
    const budget = new ArmBudget({ buckets: { read: bucket, write: bucket }, reserveFraction: 0 });
    const adapter = new ArmSqlServerKeys(
      new SqlClientFactory(freshEmulatorCredential(), { retryOptions: { maxRetries: 0 } }, { budget, maxInlineWaitMs: 5_000 }),
      { pollSchedule: new PollSchedule({ minDelayMs: 10 }, { serverKey: 100 }) },
    );

    // Act
    await Promise.all(Array.from({ length: 10 }, (_, i) => adapter.upsertServerKey(`${TEST_SERVERS}/sql-extra-${i}`, TDE_KEY_V2_NAME, TDE_KEY_V2_URI)));

    // Assess
    expect(emulator.stats.throttled).toBe(0);
    expect(emulator.stats.reads).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 10; i++) expect(emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, `sql-extra-${i}`)?.keys.has(TDE_KEY_V2_NAME.toLowerCase())).toBe(true);
  });

  it('answers the reads that follow its own writes from memory when asked to, as ARM would answer them', async () => {
    // Prepare
    emulator = await start();
    const clock = { ms: Date.now() };
    const adapter = new ArmSqlServerKeys(new SqlClientFactory(freshEmulatorCredential(), { retryOptions: { maxRetries: 0 } }), {
      pollIntervalMs: 10,
      rememberWritesMs: 60_000,
      now: () => clock.ms,
    });
    const plain = `${TEST_SERVERS}/sql-plain`;
    await adapter.upsertServerKey(plain, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    await adapter.setEncryptionProtector(plain, TDE_KEY_V2_NAME, false);
    const before = emulator.stats.log.length;

    // Act
    const remembered = { hasKey: await adapter.hasServerKey(plain, TDE_KEY_V2_NAME), protector: await adapter.getEncryptionProtector(plain) };
    const readsWhileRemembered = reads(emulator, before).length;
    clock.ms += 60_000;
    const fromArm = { hasKey: await adapter.hasServerKey(plain, TDE_KEY_V2_NAME), protector: await adapter.getEncryptionProtector(plain) };

    // Assess
    expect(readsWhileRemembered).toBe(0);
    expect(reads(emulator, before)).toEqual(['arm.serverKeys.get', 'arm.encryptionProtectors.get']);
    expect({ ...remembered, protector: { ...remembered.protector, uri: remembered.protector.uri?.toLowerCase() } }).toEqual({
      ...fromArm,
      protector: { ...fromArm.protector, uri: fromArm.protector.uri?.toLowerCase() },
    });
  });
});
