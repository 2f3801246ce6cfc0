import { describe, expect, it } from 'vitest';
import { makeKeyNewVersionCreated } from '../../functions/keyNewVersionCreated.js';
import { toQueueMessage } from '../../src/app/queueMessage.js';
import { TDE_KEY_V2, TEST_SERVERS, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT, TEST_TDE_VAULT_URL } from '../support/emulator.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';
import { testGeoPairConfig } from '../support/testEstates.js';

const KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;
const SCOPE = `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/rg-other`;

const rotationConfig = {
  keys: {
    [KEY]: {
      servers: [...testGeoPairConfig(), { id: `${TEST_SERVERS}/sql-plain`, switchProtector: false }],
      discovery: { scopes: [SCOPE] },
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
    data: { Id: `${KEY}/${version}`, VaultName: TEST_TDE_VAULT, ObjectType: 'Key', ObjectName: 'tde-key', Version: version, NBF: null, EXP: null },
    ...overrides,
  };
}

describe('Function: keyNewVersionCreated', () => {
  const env = useFunctionTestEnv(rotationConfig);
  const handler = () => makeKeyNewVersionCreated(() => env.services).handler as (e: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>;

  it('enqueues one reconcile item per configured server (secondary first) and one discovery item per scope, without calling Azure', async () => {
    // Prepare
    const lines: string[] = [];
    const before = env.emulator.stats.log.length;
    // Act
    await handler()(eventGridEvent(TDE_KEY_V2), capturingContext('keyNewVersionCreated', lines));
    // Assess
    expect(env.queue.scheduled.map((s) => [s.item.kind, s.item.target])).toEqual([
      ['reconcile', `${TEST_SERVERS}/sql-secondary`],
      ['reconcile', `${TEST_SERVERS}/sql-primary`],
      ['reconcile', `${TEST_SERVERS}/sql-plain`],
      ['discover', SCOPE],
    ]);
    for (const s of env.queue.scheduled) {
      expect(s.item).toMatchObject({ key: KEY, versionHint: TDE_KEY_V2, correlationId: 'evt-222222', attempt: 1 });
      expect(s.item).not.toHaveProperty('switchProtector');
    }
    expect(env.emulator.stats.log.length).toBe(before);
    expect(lines.at(-1)).toMatch(/^information Event accepted: 3 target\(s\) and 1 discovery scope\(s\) enqueued/);
  });

  it('gives a duplicate delivery the same message ids and sessions (Service Bus duplicate detection absorbs it)', async () => {
    await handler()(eventGridEvent(TDE_KEY_V2), capturingContext('keyNewVersionCreated', []));
    await handler()(eventGridEvent(TDE_KEY_V2), capturingContext('keyNewVersionCreated', []));

    const messages = env.queue.messages();
    expect(messages).toHaveLength(8);
    expect(messages.slice(4).map((m) => m.messageId)).toEqual(messages.slice(0, 4).map((m) => m.messageId));
    expect(messages[0]?.sessionId).toBe(`${TEST_SERVERS}/sql-secondary`.toLowerCase());
  });

  it('accepts a CloudEvents 1.0 event', async () => {
    const ev = eventGridEvent(TDE_KEY_V2);
    const cloudEvent = { specversion: '1.0', id: 'ce-1', source: ev.topic, subject: 'tde-key', type: ev.eventType, time: '2026-06-01T00:00:00Z', data: ev.data };

    await handler()(cloudEvent, capturingContext('keyNewVersionCreated', []));

    expect(env.queue.scheduled).toHaveLength(4);
    expect(env.queue.scheduled[0]?.item.correlationId).toBe('ce-1');
  });

  it('rejects a malformed event with a log line naming the problem, without throwing or enqueuing', async () => {
    const lines: string[] = [];

    await handler()(eventGridEvent(TDE_KEY_V2, { data: { ...eventGridEvent(TDE_KEY_V2).data, Version: 'abc' } }), capturingContext('keyNewVersionCreated', lines));

    expect(lines.join('\n')).toMatch(/^error Event rejected: .*Version/m);
    expect(env.queue.scheduled).toEqual([]);
  });

  it('ignores a key that is not configured, saying so', async () => {
    const lines: string[] = [];
    const other = eventGridEvent(TDE_KEY_V2);
    other.data = { ...other.data, Id: `${TEST_TDE_VAULT_URL}/keys/other-key/${TDE_KEY_V2}`, ObjectName: 'other-key' };
    other.subject = 'other-key';

    await handler()(other, capturingContext('keyNewVersionCreated', lines));

    expect(lines.join('\n')).toMatch(/Event ignored: key .*other-key is not in ROTATION_CONFIG/);
    expect(env.queue.scheduled).toEqual([]);
  });

  it('acknowledges and ignores other event types with a log line saying so', async () => {
    const lines: string[] = [];

    await handler()(eventGridEvent(TDE_KEY_V2, { eventType: 'Microsoft.KeyVault.SecretNewVersionCreated' }), capturingContext('keyNewVersionCreated', lines));

    expect(lines.join('\n')).toMatch(/Event ignored: type Microsoft\.KeyVault\.SecretNewVersionCreated/);
  });

  it('throws when the queue cannot take the items, so Event Grid redelivers', async () => {
    env.queue.failNext(new Error('Service Bus unreachable'));

    await expect(handler()(eventGridEvent(TDE_KEY_V2), capturingContext('keyNewVersionCreated', []))).rejects.toThrow('Service Bus unreachable');
  });

  it('keeps its queue messages free of decisions: the body is identifiers only', () => {
    const m = toQueueMessage({ kind: 'reconcile', key: KEY, target: `${TEST_SERVERS}/sql-plain`, versionHint: TDE_KEY_V2, attempt: 1, firstSeen: 'x', correlationId: 'c' });
    expect(Object.keys(m.body).sort()).toEqual(['attempt', 'correlationId', 'firstSeen', 'key', 'kind', 'target', 'versionHint']);
  });
});
