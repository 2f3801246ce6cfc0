import { InvocationContext } from '@azure/functions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationWorker, rotationWorkerHandler } from '../../functions/rotationWorker.js';
import { configureServices, resetServices } from '../../src/compositionRoot.js';
import type { ServerKeyWorkItem } from '../../src/domain/workItem.js';
import type { RunningEmulator } from '../../src/local/emulator/index.js';
import {
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TDE_KEY_V2_URI,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT_URL,
  startTestEmulator,
} from '../support/emulator.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';

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

function context(lines: string[]): InvocationContext {
  return new InvocationContext({
    functionName: rotationWorker.name,
    invocationId: 'worker-invocation',
    triggerMetadata: { messageId: 'm-1', deliveryCount: 1 },
    logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
  });
}

describe('Function: rotationWorker', () => {
  let emulator: RunningEmulator;
  let queue: FakeWorkQueue;
  let failures: FakeFailureSink;
  const saved = process.env['ROTATION_CONFIG'];

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.stop();
    if (saved === undefined) delete process.env['ROTATION_CONFIG'];
    else process.env['ROTATION_CONFIG'] = saved;
  });
  beforeEach(() => {
    process.env['ROTATION_CONFIG'] = JSON.stringify({
      keys: { [`${TEST_TDE_VAULT_URL}/keys/tde-key`]: { servers: [{ id: PLAIN, switchProtector: true }] } },
      retry: { baseSeconds: 1, capSeconds: 60, maxAttempts: 3, orderDelaySeconds: 1, orderMaxAttempts: 3 },
    });
    resetServices();
    queue = new FakeWorkQueue();
    failures = new FakeFailureSink();
    configureServices({ queue, failures });
  });
  afterEach(() => {
    emulator.faults.clear();
  });

  it('adds the server key and switches the protector for a queued work item', async () => {
    const lines: string[] = [];

    await rotationWorkerHandler(item(2), context(lines));

    const server = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain');
    expect(server?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(lines.join('\n')).toMatch(/ROTATION_OUTCOME .*"outcome":"rotated"/);
    expect(queue.scheduled).toEqual([]);
  });

  it('accepts the body as a JSON string too', async () => {
    await expect(rotationWorkerHandler(JSON.stringify(item(1)), context([]))).resolves.toBeUndefined();
  });

  it('schedules the next attempt with the same correlation id when ARM answers 503', async () => {
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });

    await rotationWorkerHandler(item(1), context([]));

    expect(queue.scheduled.map((s) => s.item)).toEqual([{ ...item(1), attempt: 2 }]);
    expect(failures.deadLetters).toEqual([]);
  });

  it('dead-letters the last attempt with its reason instead of throwing', async () => {
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.createOrUpdate', times: 10, retryAfterSeconds: 30 });
    const lines: string[] = [];

    await rotationWorkerHandler(item(3), context(lines));

    expect(failures.deadLetters.map((d) => d.reason)).toEqual(['MaxAttemptsExceeded']);
    expect(lines.join('\n')).toMatch(/^error Work item dead-lettered: MaxAttemptsExceeded/m);
  });

  it('throws on a body that is not a work item, so Service Bus keeps it and dead-letters it after max deliveries', async () => {
    const lines: string[] = [];

    await expect(rotationWorkerHandler({ hello: 'world' }, context(lines))).rejects.toMatchObject({ code: 'InvalidEvent' });
    expect(lines.join('\n')).toMatch(/^error Queue message is not a work item/m);
  });
});
