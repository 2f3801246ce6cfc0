/**
 * The local host running the app's real functions against the local Azure emulator: Event Grid deliveries in both
 * schemas end in the emulator's state (server keys present, protectors switched), the admin endpoint runs the
 * sync-agent timer, and a host restart with scheduled retries pending finishes them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeKeyNewVersionCreated } from '../../../functions/keyNewVersionCreated.js';
import { makeRotationWorker } from '../../../functions/rotationWorker.js';
import { makeSyncAgentKeyRotation } from '../../../functions/syncAgentKeyRotation.js';
import { createServices, type Services } from '../../../src/compositionRoot.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import type { HostLogRecord } from '../../../src/local/host/formatLogRecord.js';
import { startLocalHost, type LocalHost } from '../../../src/local/host/localHost.js';
import { useTestEmulator } from '../../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL, TEST_TDE_VAULT, TEST_TDE_VAULT_URL } from '../../support/emulator.js';
import { fastPolls } from '../../support/fastPolls.js';
import { testServerKeysConfig, testSyncAgentId } from '../../support/testEstates.js';

/** ROTATION_CONFIG for the test estate, with retries of one second so that queued work finishes quickly. */
const rotationConfig = {
  keys: testServerKeysConfig(),
  syncAgents: {
    vaultUrl: TEST_SYNC_VAULT_URL,
    agents: [{ id: testSyncAgentId('sql-primary', 'agent-1') }],
    minIntervalHours: 0,
  },
  retry: { baseSeconds: 1, capSeconds: 1, maxAttempts: 5, orderDelaySeconds: 1, orderMaxAttempts: 10 },
  fanOut: { inlineLimit: 10, concurrency: 4 },
};

const SERVERS = ['sql-primary', 'sql-secondary', 'sql-plain'];

describe('Local host against the emulator', () => {
  // Each test creates a key version; a minute of emulator time between them keeps their creation times apart
  // (the product never moves a protector to a version that is not newer than the one in place).
  let skewMs = 0;
  const emulator = useTestEmulator({ clock: () => Date.now() + skewMs });
  let dir: string;
  let logs: HostLogRecord[];
  const hosts: LocalHost[] = [];
  const savedEnv = new Map<string, string | undefined>();

  function setEnv(k: string, v: string | undefined): void {
    if (!savedEnv.has(k)) savedEnv.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }

  async function startHost(queueDir = join(dir, 'queue')): Promise<LocalHost> {
    // The functions get services built on this host's embedded queue, at their first invocation.
    let services: Services | undefined;
    const provider = (): Services => {
      const queue = host.queue!;
      services ??= createServices(loadConfig(process.env), { queue, failures: queue, pollSchedule: fastPolls() });
      return services;
    };
    const host: LocalHost = await startLocalHost({
      functions: [makeKeyNewVersionCreated(provider), makeRotationWorker(provider), makeSyncAgentKeyRotation(provider)],
      port: 0,
      env: process.env,
      queueDir,
      timers: false,
      pollIntervalMs: 20,
      log: (r) => logs.push(r),
    });
    hosts.push(host);
    return host;
  }

  /** The server's state in the emulator. */
  function server(name: string) {
    const s = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);
    if (s === undefined) throw new Error(`no server ${name}`);
    return s;
  }

  function expectRotatedTo(version: string): void {
    for (const name of SERVERS) {
      const s = server(name);
      expect([...s.keys.values()].some((k) => k.uri?.endsWith(`/${version}`)), `${name} has the key`).toBe(true);
      expect(s.protector.serverKeyName, `${name} protector`).toBe(`${TEST_TDE_VAULT}_tde-key_${version}`);
    }
  }

  /** Creates a key version without delivering its event (the test delivers it itself). */
  async function newVersionWithoutEvent(): Promise<string> {
    emulator.setEventWebhook(undefined);
    const keyId = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    return keyId.slice(keyId.lastIndexOf('/') + 1);
  }

  function keyEvent(version: string) {
    return {
      Id: `${TEST_TDE_VAULT_URL}/keys/tde-key/${version}`,
      VaultName: TEST_TDE_VAULT,
      ObjectType: 'Key',
      ObjectName: 'tde-key',
      Version: version,
    };
  }

  function eventGridEvent(version: string) {
    return {
      id: randomUUID(),
      topic: `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/${TEST_TDE_VAULT}`,
      subject: 'tde-key',
      eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
      eventTime: new Date().toISOString(),
      data: keyEvent(version),
      dataVersion: '1',
      metadataVersion: '1',
    };
  }

  /** The same event in the CloudEvents 1.0 schema, with its fields named as Event Grid maps them. */
  function cloudEvent(version: string) {
    const { id, topic, subject, eventType, eventTime, data } = eventGridEvent(version);
    return { specversion: '1.0', id, source: topic, subject, type: eventType, time: eventTime, data };
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-host-emulator-'));
    logs = [];
    setEnv('ROTATION_CONFIG', JSON.stringify(rotationConfig));
    setEnv('ServiceBusConnection__fullyQualifiedNamespace', undefined);
    skewMs += 60_000;
  });

  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    savedEnv.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the event in the Event Grid schema', 'EventGridSchema'],
    ['a single CloudEvent', 'CloudEventSchemaV1_0'],
  ] as const)('rotates every server when Event Grid delivers %s', async (_what, schema) => {
    // Prepare
    const host = await startHost();
    emulator.setEventWebhook({ url: host.eventGridWebhookUrl('keyNewVersionCreated'), schema });

    // Act
    const keyId = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    await host.whenIdle();

    // Assess
    expect(emulator.events).toMatchObject({ failed: 0 });
    expectRotatedTo(keyId.slice(keyId.lastIndexOf('/') + 1));
  });

  it.each([
    [
      'a CloudEvents batch, duplicates included (one event twice)',
      'application/cloudevents-batch+json; charset=utf-8',
      (version: string) => {
        const event = cloudEvent(version);
        return [event, event];
      },
    ],
    ['an Event Grid schema array', 'application/json', (version: string) => [eventGridEvent(version)]],
  ] as const)('rotates every server for %s posted to the webhook', async (_what, contentType, events) => {
    // Prepare
    const host = await startHost();
    const version = await newVersionWithoutEvent();

    // Act
    const res = await fetch(host.eventGridWebhookUrl('keyNewVersionCreated'), {
      method: 'POST',
      headers: { 'content-type': contentType, 'aeg-event-type': 'Notification' },
      body: JSON.stringify(events(version)),
    });
    await host.whenIdle();

    // Assess
    expect(res.status).toBe(200);
    expectRotatedTo(version);
  });

  it('answers the SubscriptionValidation handshake and reports Running', async () => {
    // Prepare
    const host = await startHost();

    // Act
    const status = await (await fetch(`${host.url}/admin/host/status`, { headers: { 'x-functions-key': host.key } })).json();
    const res = await fetch(host.eventGridWebhookUrl('keyNewVersionCreated'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify([
        {
          id: randomUUID(),
          topic: `/subscriptions/${TEST_SUBSCRIPTION_ID}`,
          subject: '',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: new Date().toISOString(),
          data: { validationCode: 'code-42' },
          dataVersion: '2',
          metadataVersion: '1',
        },
      ]),
    });

    // Assess
    expect(status).toMatchObject({ state: 'Running' });
    expect(await res.json()).toEqual({ validationResponse: 'code-42' });
  });

  it('rotates the sync-agent key into its secret when the timer is run through the admin endpoint', async () => {
    // Prepare
    const host = await startHost();
    const before = server('sql-primary').syncAgents.get('agent-1')!.keyGeneration;

    // Act
    const res = await fetch(`${host.url}/admin/functions/syncAgentKeyRotation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': host.key },
      body: JSON.stringify({ input: '' }),
    });
    await host.whenIdle();

    // Assess
    expect(res.status).toBe(202);
    expect(server('sql-primary').syncAgents.get('agent-1')!.keyGeneration).toBe(before + 1);
    const secrets = [...(emulator.state.vault(TEST_SYNC_VAULT)?.secrets.values() ?? [])];
    expect(secrets).toHaveLength(1);
    // The stored value is the agent's current key, and no log line carries it.
    const current = server('sql-primary').syncAgents.get('agent-1')!.currentKey!;
    expect(secrets[0]!.versions.at(-1)!.value).toBe(current);
    expect(logs.some((l) => l.message.includes(current))).toBe(false);
  });

  it('finishes the retries a stopped host left scheduled when a new host starts on the same queue', async () => {
    // Prepare: the plain server's key upsert is throttled on every try of the first attempt (SDK retries too)
    const queueDir = join(dir, 'queue');
    const first = await startHost(queueDir);
    emulator.faults.inject({
      kind: 'throttle',
      route: 'arm.serverKeys.createOrUpdate',
      url: /\/servers\/sql-plain\/keys\//,
      times: 3,
      retryAfterSeconds: 1,
    });
    emulator.setEventWebhook({ url: first.eventGridWebhookUrl('keyNewVersionCreated') });
    const keyId = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    const version = keyId.slice(keyId.lastIndexOf('/') + 1);

    // Act: stop with the retry still scheduled, then start another host on the same directory
    await first.stop();
    const left = (await readdir(join(queueDir, 'messages'))).filter((n) => n.endsWith('.json'));
    expect(left.length).toBeGreaterThan(0);
    expect([...server('sql-plain').keys.values()].some((k) => k.uri?.endsWith(`/${version}`))).toBe(false);
    const second = await startHost(queueDir);
    await second.whenIdle();

    // Assess
    expectRotatedTo(version);
    expect(await second.queue!.listDeadLetters()).toEqual([]);
    expect(emulator.stats.throttled).toBeGreaterThanOrEqual(3);
  });
});
