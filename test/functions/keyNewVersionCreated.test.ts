import { InvocationContext } from '@azure/functions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyNewVersionCreated, keyNewVersionCreatedHandler } from '../../functions/keyNewVersionCreated.js';
import { configureServices, resetServices } from '../../src/compositionRoot.js';
import type { RunningEmulator } from '../../src/local/emulator/index.js';
import {
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT,
  TEST_TDE_VAULT_URL,
  startTestEmulator,
} from '../support/emulator.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';

const SERVERS = `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers`;
const KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;

const rotationConfig = {
  keys: {
    [KEY]: {
      servers: [
        { id: `${SERVERS}/sql-primary`, switchProtector: true },
        { id: `${SERVERS}/sql-secondary`, switchProtector: true, geoPrimary: `${SERVERS}/sql-primary` },
        { id: `${SERVERS}/sql-plain`, switchProtector: false },
      ],
    },
  },
};

function eventGridEvent(version: string, overrides: Record<string, unknown> = {}) {
  return {
    id: `evt-${version.slice(0, 6)}`,
    topic: `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/${TEST_TDE_VAULT}`,
    subject: 'tde-key',
    eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
    eventTime: '2026-06-01T00:00:00Z',
    dataVersion: '1',
    metadataVersion: '1',
    data: {
      Id: `${KEY}/${version}`,
      VaultName: TEST_TDE_VAULT,
      ObjectType: 'Key',
      ObjectName: 'tde-key',
      Version: version,
      NBF: null,
      EXP: null,
    },
    ...overrides,
  };
}

function context(lines: string[]): InvocationContext {
  return new InvocationContext({
    functionName: keyNewVersionCreated.name,
    invocationId: 'test-invocation',
    logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
  });
}

describe('Function: keyNewVersionCreated', () => {
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
    process.env['ROTATION_CONFIG'] = JSON.stringify(rotationConfig);
    resetServices();
    queue = new FakeWorkQueue();
    failures = new FakeFailureSink();
    configureServices({ queue, failures });
  });
  afterEach(() => {
    emulator.faults.clear();
  });

  const server = (name: string) => emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);

  it('rotates every configured server for an Event Grid schema event', async () => {
    const lines: string[] = [];

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2), context(lines));

    for (const name of ['sql-primary', 'sql-secondary', 'sql-plain']) {
      expect(server(name)?.keys.has(TDE_KEY_V2_NAME.toLowerCase())).toBe(true);
    }
    expect(server('sql-primary')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(server('sql-secondary')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(server('sql-plain')?.protector.serverKeyName).not.toBe(TDE_KEY_V2_NAME);
    expect(lines.at(-1)).toMatch(/^information Event done \(inline\).*"rotated":3/);
  });

  it('rotates for a CloudEvents 1.0 event of a new version made in the vault', async () => {
    const newId = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    const version = newId.split('/').at(-1) ?? '';
    const ev = eventGridEvent(version);
    const cloudEvent = {
      specversion: '1.0',
      id: 'ce-1',
      source: ev.topic,
      subject: 'tde-key',
      type: ev.eventType,
      time: '2026-06-01T00:00:00Z',
      data: ev.data,
    };

    await keyNewVersionCreatedHandler(cloudEvent, context([]));

    expect(server('sql-primary')?.protector.serverKeyName).toBe(`${TEST_TDE_VAULT}_tde-key_${version}`);
  });

  it('rejects a malformed event with a log line naming the problem, without throwing or calling Azure', async () => {
    const lines: string[] = [];
    const before = emulator.stats.log.length;

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { data: { ...eventGridEvent(TDE_KEY_V2).data, Version: 'abc' } }), context(lines));

    expect(lines.join('\n')).toMatch(/^error Event rejected: .*Version/m);
    expect(emulator.stats.log.length).toBe(before);
  });

  it('acknowledges and ignores other event types with a log line saying so', async () => {
    const lines: string[] = [];

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { eventType: 'Microsoft.KeyVault.SecretNewVersionCreated' }), context(lines));

    expect(lines.join('\n')).toMatch(/Event ignored: type Microsoft\.KeyVault\.SecretNewVersionCreated/);
  });

  it('schedules a retry on the queue when ARM throttles one server', async () => {
    emulator.faults.inject({
      kind: 'throttle',
      route: 'arm.serverKeys.createOrUpdate',
      url: /sql-plain/,
      times: 10,
      retryAfterSeconds: 7,
    });

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { id: 'evt-throttled' }), context([]));

    expect(queue.scheduled).toHaveLength(1);
    expect(queue.scheduled[0]?.item).toMatchObject({ target: `${SERVERS}/sql-plain`, attempt: 2, correlationId: 'evt-throttled' });
    expect(failures.deadLetters).toEqual([]);
  });
});
