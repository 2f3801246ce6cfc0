import { describe, expect, it } from 'vitest';
import { makeRotationWorker } from '../../functions/rotationWorker.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';
import {
  TDE_KEY_V1,
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SERVERS,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT,
  TEST_TDE_VAULT_URL,
} from '../support/emulator.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';

const PLAIN = `${TEST_SERVERS}/sql-plain`;
const KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;

const item = (attempt: number, fields: Partial<ReconcileWorkItem> = {}): ReconcileWorkItem => ({
  kind: 'reconcile',
  key: KEY,
  target: PLAIN,
  versionHint: TDE_KEY_V1,
  attempt,
  firstSeen: '2026-06-01T00:00:00.000Z',
  correlationId: 'evt-worker',
  ...fields,
});

describe('Function: rotationWorker', () => {
  const env = useFunctionTestEnv({
    keys: { [KEY]: { servers: [{ id: PLAIN, switchProtector: true }] } },
    retry: { baseSeconds: 1, capSeconds: 60, maxAttempts: 3, orderDelaySeconds: 1, orderMaxAttempts: 3 },
  });
  const run = (body: unknown, lines: string[] = []) =>
    (makeRotationWorker(() => env.services).handler as (m: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>)(
      body,
      capturingContext('rotationWorker', lines, { messageId: 'm-1', deliveryCount: 1 }),
    );
  const plain = () => env.emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain');

  it('converges the target to the newest allowed version even when the item names an older one', async () => {
    // Prepare
    const lines: string[] = [];

    // Act
    await run(item(1), lines);

    // Assess
    expect(plain()?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(lines.join('\n')).toMatch(/ROTATION_OUTCOME .*"outcome":"rotated"/);
    // The outcome line names the version the target reached, not the older one the item hinted at.
    expect(lines.find((l) => l.includes('ROTATION_OUTCOME'))).toContain(`"keyVersion":"${TDE_KEY_V2}"`);
    expect(env.queue.scheduled).toEqual([]);
  });

  it('reads an item of the previous release (serverKey, versioned keyId, decisions) as a reconcile item', async () => {
    // Prepare
    const legacy = { kind: 'serverKey', target: PLAIN, keyId: TDE_KEY_V2_URI, version: TDE_KEY_V2, switchProtector: true, attempt: 1, firstSeen: 'x', correlationId: 'old' };

    // Act
    await run(JSON.stringify(legacy));

    // Assess
    expect(plain()?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
  });

  const crafted: [string, unknown, RegExp][] = [
    ['an unconfigured server', item(1, { target: `${TEST_SERVERS}/sql-primary` }), /is not configured/],
    ['a key of a vault that is not configured', item(1, { key: 'https://evil.vault.azure.net/keys/tde-key' }), /is not in ROTATION_CONFIG/],
    [
      'a protector switch the config does not allow',
      { kind: 'serverKey', target: `${TEST_SERVERS}/sql-secondary`, keyId: TDE_KEY_V2_URI, version: TDE_KEY_V2, switchProtector: true, attempt: 1, firstSeen: 'x', correlationId: 'c' },
      /is not configured/,
    ],
    [
      'a version that does not match the key id',
      { kind: 'serverKey', target: PLAIN, keyId: TDE_KEY_V2_URI, version: TDE_KEY_V1, switchProtector: true, attempt: 1, firstSeen: 'x', correlationId: 'c' },
      /does not match/,
    ],
  ];
  it.each(crafted)('dead-letters a crafted item (%s) as NotInConfig, logged with its identifiers, with zero Azure writes', async (_name, body, why) => {
    // Prepare
    const writes = () => env.emulator.stats.log.filter((l) => l.method !== 'GET' && l.method !== 'HEAD').length;
    const before = writes();
    const lines: string[] = [];

    // Act
    await run(body, lines);

    // Assess
    expect(env.failures.deadLetters.map((d) => d.reason)).toEqual(['NotInConfig']);
    expect(env.failures.deadLetters[0]?.description).toMatch(why);
    expect(writes()).toBe(before);
    expect(lines.join('\n')).toMatch(/^error Work item dead-lettered: NotInConfig .*"target":"\/subscriptions\//m);
  });

  it('dead-letters a switch the config forbids on a configured server (NotInConfig), with zero Azure writes', async () => {
    // Prepare
    const envelope = { kind: 'serverKey', target: PLAIN, keyId: TDE_KEY_V2_URI, version: TDE_KEY_V2, switchProtector: false, attempt: 1, firstSeen: 'x', correlationId: 'c' };

    // Act
    await run(envelope);

    // Assess
    expect(env.failures.deadLetters[0]).toMatchObject({ reason: 'NotInConfig' });
    expect(env.failures.deadLetters[0]?.description).toContain('switchProtector=false');
  });

  it('schedules the next attempt with the same correlation id when ARM answers 503', async () => {
    // Prepare
    await env.emulator.rotateKey(TEST_TDE_VAULT, 'tde-key'); // a newer version: the target drifts whatever ran before
    env.emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });

    // Act
    await run(item(1));

    // Assess
    expect(env.queue.scheduled.map((s) => s.item)).toEqual([{ ...item(1), attempt: 2 }]);
    expect(env.failures.deadLetters).toEqual([]);
  });

  it('dead-letters the last attempt with its reason instead of throwing', async () => {
    // Prepare
    await env.emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    env.emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });
    const lines: string[] = [];

    // Act
    await run(item(3), lines);

    // Assess
    expect(env.failures.deadLetters.map((d) => d.reason)).toEqual(['MaxAttemptsExceeded']);
    expect(lines.join('\n')).toMatch(/^error Work item dead-lettered: MaxAttemptsExceeded/m);
  });

  it('throws on a body that is not a work item, so Service Bus keeps it and dead-letters it after max deliveries', async () => {
    const lines: string[] = [];

    await expect(run({ hello: 'world' }, lines)).rejects.toMatchObject({ code: 'InvalidWorkItem' });
    expect(lines.join('\n')).toMatch(/^error Queue message is not a work item/m);
  });
});
