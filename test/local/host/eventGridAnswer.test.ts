/**
 * Event Grid waits 30 s for an answer, then redelivers. With Azure's recorded timings (a server-key or protector
 * operation takes about 10 s, without Retry-After), the delivery must be answered at once: the handler only
 * enqueues, and the worker converges the servers afterwards, one session per server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeyNewVersionCreated } from '../../../functions/keyNewVersionCreated.js';
import { makeRotationWorker } from '../../../functions/rotationWorker.js';
import { createServices, type Services } from '../../../src/compositionRoot.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startLocalHost, type LocalHost } from '../../../src/local/host/localHost.js';
import { LocalDurableQueue } from '../../../src/local/queue/localDurableQueue.js';
import { useTestEmulator } from '../../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT } from '../../support/emulator.js';
import { testServerKeysConfig } from '../../support/testEstates.js';

const SERVERS = ['sql-primary', 'sql-secondary', 'sql-plain'];
const OPERATION_MS = 10_000;

describe('Event Grid delivery with Azure-like operation times', () => {
  const emulator = useTestEmulator({ operationDurationMs: OPERATION_MS });
  let host: LocalHost;
  let queue: LocalDurableQueue;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-answer-'));
    queue = await LocalDurableQueue.open({ dir });
    const config = loadConfig({
      ROTATION_CONFIG: JSON.stringify({
        keys: testServerKeysConfig(),
        retry: { baseSeconds: 1, capSeconds: 2, maxAttempts: 10, orderDelaySeconds: 2, orderMaxAttempts: 40 },
      }),
    });
    let services: Services | undefined;
    const provider = (): Services => (services ??= createServices(config, { queue, failures: queue }));
    host = await startLocalHost({
      functions: [makeKeyNewVersionCreated(provider), makeRotationWorker(provider)],
      port: 0,
      env: {},
      queue,
      timers: false,
      pollIntervalMs: 20,
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await host.stop();
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a 3-server delivery in under a second, then converges every server afterwards', async () => {
    // Prepare: a new version whose event the test delivers itself.
    emulator.setEventWebhook(undefined);
    const keyId = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');
    const version = keyId.slice(keyId.lastIndexOf('/') + 1);
    const event = {
      id: 'evt-timing',
      topic: `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/${TEST_TDE_VAULT}`,
      subject: 'tde-key',
      eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
      eventTime: new Date().toISOString(),
      dataVersion: '1',
      metadataVersion: '1',
      data: { Id: keyId, VaultName: TEST_TDE_VAULT, ObjectType: 'Key', ObjectName: 'tde-key', Version: version },
    };

    // Act
    const started = performance.now();
    const res = await fetch(host.eventGridWebhookUrl('keyNewVersionCreated'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([event]),
    });
    const answeredMs = performance.now() - started;
    await host.whenIdle({ timeoutMs: 120_000 });

    // Assess: answered well inside Event Grid's 30 s, before a single 10 s operation could have finished ...
    expect(res.status).toBe(200);
    expect(answeredMs).toBeLessThan(1_000);
    // ... and the work was done afterwards, by the worker.
    for (const name of SERVERS) {
      const s = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);
      expect(s?.protector.serverKeyName, name).toBe(`${TEST_TDE_VAULT}_tde-key_${version}`);
    }
  }, 150_000);
});
