import { describe, expect, it } from 'vitest';
import { rotationWorker, rotationWorkerHandler } from '../../functions/rotationWorker.js';
import type { ServerKeyWorkItem } from '../../src/domain/workItem.js';
import {
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT_URL,
} from '../support/emulator.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';

const PLAIN = `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers/sql-plain`;

const item = (attempt: number): ServerKeyWorkItem => ({
  kind: 'serverKey',
  target: PLAIN,
  keyId: TDE_KEY_V2_URI,
  version: TDE_KEY_V2,
  switchProtector: true,
  attempt,
  firstSeen: '2026-06-01T00:00:00.000Z',
  correlationId: 'evt-worker',
});

describe('Function: rotationWorker', () => {
  const env = useFunctionTestEnv({
      keys: { [`${TEST_TDE_VAULT_URL}/keys/tde-key`]: { servers: [{ id: PLAIN, switchProtector: true }] } },
      retry: { baseSeconds: 1, capSeconds: 60, maxAttempts: 3, orderDelaySeconds: 1, orderMaxAttempts: 3 },
    });

  it('adds the server key and switches the protector for a queued work item', async () => {
    const lines: string[] = [];

    await rotationWorkerHandler(item(2), capturingContext(rotationWorker.name, lines, { messageId: 'm-1', deliveryCount: 1 }));

    const server = env.emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain');
    expect(server?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(lines.join('\n')).toMatch(/ROTATION_OUTCOME .*"outcome":"rotated"/);
    expect(env.queue.scheduled).toEqual([]);
  });

  it('accepts the body as a JSON string too', async () => {
    await expect(rotationWorkerHandler(JSON.stringify(item(1)), capturingContext(rotationWorker.name, [], { messageId: 'm-1', deliveryCount: 1 }))).resolves.toBeUndefined();
  });

  it('schedules the next attempt with the same correlation id when ARM answers 503', async () => {
    env.emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });

    await rotationWorkerHandler(item(1), capturingContext(rotationWorker.name, [], { messageId: 'm-1', deliveryCount: 1 }));

    expect(env.queue.scheduled.map((s) => s.item)).toEqual([{ ...item(1), attempt: 2 }]);
    expect(env.failures.deadLetters).toEqual([]);
  });

  it('dead-letters the last attempt with its reason instead of throwing', async () => {
    env.emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });
    const lines: string[] = [];

    await rotationWorkerHandler(item(3), capturingContext(rotationWorker.name, lines, { messageId: 'm-1', deliveryCount: 1 }));

    expect(env.failures.deadLetters.map((d) => d.reason)).toEqual(['MaxAttemptsExceeded']);
    expect(lines.join('\n')).toMatch(/^error Work item dead-lettered: MaxAttemptsExceeded/m);
  });

  it('throws on a body that is not a work item, so Service Bus keeps it and dead-letters it after max deliveries', async () => {
    const lines: string[] = [];

    await expect(rotationWorkerHandler({ hello: 'world' }, capturingContext(rotationWorker.name, lines, { messageId: 'm-1', deliveryCount: 1 }))).rejects.toMatchObject({ code: 'InvalidEvent' });
    expect(lines.join('\n')).toMatch(/^error Queue message is not a work item/m);
  });
});
