/**
 * ArmManagedInstanceKeys with the real @azure/arm-sql clients against the emulator, on a fake clock shared by the
 * emulator and the adapter: managed instance operations take minutes, and the adapter must wait them out with a
 * handful of polls instead of failing or burning work-item attempts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ArmManagedInstanceKeys, managedInstancePollSchedule } from '../../src/azure/armManagedInstanceKeys.js';
import { noRetrySqlClients, type TestEmulator } from '../support/emulatorFixture.js';
import { managedInstanceOn, testEstateWith, testManagedInstanceId } from '../support/testEstates.js';
import { startTestEmulator, TDE_KEY_V2_NAME, TDE_KEY_V2_URI, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';
import { freshEmulatorCredential } from './freshEmulatorCredential.js';

const MI = testManagedInstanceId('mi-1');
/** A key or protector change on an instance, as long as the emulator makes it. */
const OPERATION_MS = 7 * 60_000;
/** The test estate with managed instance mi-1, protected by V1. */
const estate = () => testEstateWith({ managedInstances: [managedInstanceOn('mi-1')] });
/** The adapter on the real clients, with a credential that asks this test's emulator. */
const instanceKeys = (options?: ConstructorParameters<typeof ArmManagedInstanceKeys>[1]) =>
  new ArmManagedInstanceKeys(noRetrySqlClients(freshEmulatorCredential()), options);

/** A clock that moves only when someone sleeps on it. */
class FakeTime {
  ms = Date.UTC(2026, 5, 1);
  readonly sleeps: number[] = [];
  readonly now = (): number => this.ms;
  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.ms += ms;
    return Promise.resolve();
  };
}

describe('ArmManagedInstanceKeys (real @azure/arm-sql against the emulator)', () => {
  let emulator: TestEmulator | undefined;
  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  it('waits out a key and a protector change of several minutes with a few polls, none before the expected duration', async () => {
    // Prepare
    const time = new FakeTime();
    emulator = await startTestEmulator({
      estate: estate(),
      clock: time.now,
      lroInProgressPolls: 0,
      lroRetryAfterSeconds: false,
      operationDurationMs: { managedInstanceKey: OPERATION_MS, managedInstanceEncryptionProtector: OPERATION_MS },
    });
    const adapter = instanceKeys({
      pollSchedule: managedInstancePollSchedule(),
      now: time.now,
      sleep: time.sleep,
    });
    const before = emulator.stats.log.length;

    // Act
    await adapter.upsertServerKey(MI, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);
    await adapter.setEncryptionProtector(MI, TDE_KEY_V2_NAME, false);

    // Assess
    const polls = emulator.stats.log.slice(before).filter((e) => e.route === 'arm.operations.status');
    // 7 minutes each: the first poll at 3 minutes, then growing intervals; a 2 s schedule would have taken ~210.
    expect(polls.length).toBeGreaterThanOrEqual(4);
    expect(polls.length).toBeLessThanOrEqual(12);
    expect(time.sleeps[0]).toBeGreaterThanOrEqual(180_000);
    expect(await adapter.getEncryptionProtector(MI)).toMatchObject({ serverKeyName: TDE_KEY_V2_NAME, uri: TDE_KEY_V2_URI, autoRotationEnabled: false });
    expect(await adapter.hasServerKey(MI, TDE_KEY_V2_NAME)).toBe(true);
  });

  it('learns that instance operations are slow: the next operation is polled later, with fewer polls', async () => {
    // Prepare
    const time = new FakeTime();
    emulator = await startTestEmulator({ estate: estate(), clock: time.now, lroInProgressPolls: 0, lroRetryAfterSeconds: false, operationDurationMs: { managedInstanceKey: OPERATION_MS } });
    const schedule = managedInstancePollSchedule();
    const adapter = instanceKeys({ pollSchedule: schedule, now: time.now, sleep: time.sleep });

    // Act
    await adapter.upsertServerKey(MI, TDE_KEY_V2_NAME, TDE_KEY_V2_URI);

    // Assess
    expect(schedule.expectedMs('managedInstanceKey')).toBeGreaterThan(180_000);
  });

  it('answers a missing key as absent and a missing instance as a terminal error naming it', async () => {
    emulator = await startTestEmulator({ estate: estate() });
    const adapter = instanceKeys({ pollIntervalMs: 1 });

    expect(await adapter.hasServerKey(MI, TDE_KEY_V2_NAME)).toBe(false);
    const err = await adapter.getEncryptionProtector(MI.replace('mi-1', 'mi-missing')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RotationError', errorClass: 'terminal', details: { statusCode: 404 } });
  });

  it('lists the managed instances of a resource group and of a subscription', async () => {
    emulator = await startTestEmulator({ estate: estate() });
    const adapter = instanceKeys();

    expect(await adapter.listManagedInstances(`/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}`)).toEqual([MI]);
    expect(await adapter.listManagedInstances(`/subscriptions/${TEST_SUBSCRIPTION_ID}`)).toEqual([MI]);
  });
});
