import { describe, expect, it } from 'vitest';
import { keyNewVersionCreated, keyNewVersionCreatedHandler } from '../../functions/keyNewVersionCreated.js';
import {
  TDE_KEY_V2,
  TDE_KEY_V2_NAME,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT,
  TEST_TDE_VAULT_URL,
} from '../support/emulator.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';

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

describe('Function: keyNewVersionCreated', () => {
  const env = useFunctionTestEnv(rotationConfig);

  const server = (name: string) => env.emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);

  it('rotates every configured server for an Event Grid schema event', async () => {
    const lines: string[] = [];

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2), capturingContext(keyNewVersionCreated.name, lines));

    for (const name of ['sql-primary', 'sql-secondary', 'sql-plain']) {
      expect(server(name)?.keys.has(TDE_KEY_V2_NAME.toLowerCase())).toBe(true);
    }
    expect(server('sql-primary')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(server('sql-secondary')?.protector.serverKeyName).toBe(TDE_KEY_V2_NAME);
    expect(server('sql-plain')?.protector.serverKeyName).not.toBe(TDE_KEY_V2_NAME);
    expect(lines.at(-1)).toMatch(/^information Event done \(inline\).*"rotated":3/);
  });

  it('rotates for a CloudEvents 1.0 event of a new version made in the vault', async () => {
    const newId = await env.emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
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

    await keyNewVersionCreatedHandler(cloudEvent, capturingContext(keyNewVersionCreated.name, []));

    expect(server('sql-primary')?.protector.serverKeyName).toBe(`${TEST_TDE_VAULT}_tde-key_${version}`);
  });

  it('rejects a malformed event with a log line naming the problem, without throwing or calling Azure', async () => {
    const lines: string[] = [];
    const before = env.emulator.stats.log.length;

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { data: { ...eventGridEvent(TDE_KEY_V2).data, Version: 'abc' } }), capturingContext(keyNewVersionCreated.name, lines));

    expect(lines.join('\n')).toMatch(/^error Event rejected: .*Version/m);
    expect(env.emulator.stats.log.length).toBe(before);
  });

  it('acknowledges and ignores other event types with a log line saying so', async () => {
    const lines: string[] = [];

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { eventType: 'Microsoft.KeyVault.SecretNewVersionCreated' }), capturingContext(keyNewVersionCreated.name, lines));

    expect(lines.join('\n')).toMatch(/Event ignored: type Microsoft\.KeyVault\.SecretNewVersionCreated/);
  });

  it('schedules a retry on the queue when ARM throttles one server', async () => {
    env.emulator.faults.inject({
      kind: 'throttle',
      route: 'arm.serverKeys.createOrUpdate',
      url: /sql-plain/,
      times: 10,
      retryAfterSeconds: 7,
    });

    await keyNewVersionCreatedHandler(eventGridEvent(TDE_KEY_V2, { id: 'evt-throttled' }), capturingContext(keyNewVersionCreated.name, []));

    expect(env.queue.scheduled).toHaveLength(1);
    expect(env.queue.scheduled[0]?.item).toMatchObject({ target: `${SERVERS}/sql-plain`, attempt: 2, correlationId: 'evt-throttled' });
    expect(env.failures.deadLetters).toEqual([]);
  });
});
