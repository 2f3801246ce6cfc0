import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import { KeyClient } from '@azure/keyvault-keys';
import { useTestEmulator } from '../../support/emulatorFixture.js';
import { TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT, TEST_TDE_VAULT_URL } from '../../support/emulator.js';

interface Received {
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
  body: any;
}

describe('Emulator: KeyNewVersionCreated delivery', () => {
  let receiver: Server;
  let url: string;
  let received: Received[] = [];
  let answer = 200;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=onKeyEvent`;
  });
  // Started after the receiver above, so that the emulator delivers to its url.
  const emulator = useTestEmulator(() => ({ eventWebhook: { url } }));
  afterEach(() => {
    received = [];
    answer = 200;
    emulator.setEventWebhook({ url });
  });
  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
  });

  it('posts an Event Grid schema event when a key is rotated through the Key Vault API', async () => {
    // Prepare
    const keys = new KeyClient(TEST_TDE_VAULT_URL, new DefaultAzureCredential());

    // Act
    const rotated = await keys.rotateKey('tde-key');
    await emulator.flushEvents();

    // Assess
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(headers['aeg-event-type']).toBe('Notification');
    expect(Array.isArray(body)).toBe(true);
    expect(body[0]).toMatchObject({
      topic: `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/${TEST_TDE_VAULT}`,
      subject: 'tde-key',
      eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
      dataVersion: '1',
      metadataVersion: '1',
      data: { Id: rotated.id, VaultName: TEST_TDE_VAULT, ObjectType: 'Key', ObjectName: 'tde-key', Version: rotated.properties.version },
    });
    expect(typeof body[0].id).toBe('string');
    expect(Number.isNaN(Date.parse(body[0].eventTime))).toBe(false);
  });

  it('posts the event with numeric NBF and EXP when emulator.rotateKey is called from code', async () => {
    const id = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key', { nbf: 1_800_000_000, exp: 1_900_000_000 });

    expect(received).toHaveLength(1);
    expect(received[0]!.body[0].data).toEqual({
      Id: id,
      VaultName: TEST_TDE_VAULT,
      ObjectType: 'Key',
      ObjectName: 'tde-key',
      Version: id.split('/').at(-1),
      NBF: 1_800_000_000,
      EXP: 1_900_000_000,
    });
    expect(emulator.state.keyVersion(TEST_TDE_VAULT, 'tde-key')?.version).toBe(id.split('/').at(-1));
  });

  it('posts a CloudEvents 1.0 event when configured for that schema', async () => {
    // Prepare
    emulator.setEventWebhook({ url, schema: 'CloudEventSchemaV1_0' });

    // Act
    const id = await emulator.rotateKey(TEST_TDE_VAULT, 'tde-key');

    // Assess
    expect(received[0]!.headers['content-type']).toContain('application/cloudevents+json');
    expect(received[0]!.body).toMatchObject({
      specversion: '1.0',
      type: 'Microsoft.KeyVault.KeyNewVersionCreated',
      source: expect.stringContaining('/providers/Microsoft.KeyVault/vaults/test-tde'),
      subject: 'tde-key',
      data: { Id: id, ObjectType: 'Key' },
    });
  });

  it('logs and counts a failed delivery instead of throwing', async () => {
    // Prepare
    answer = 500;
    const failedBefore = emulator.events.failed;

    // Act
    await expect(emulator.rotateKey(TEST_TDE_VAULT, 'tde-key')).resolves.toMatch(/^https:\/\/test-tde\.vault\.azure\.net\/keys\/tde-key\/[0-9a-f]{32}$/);

    // Assess
    expect(emulator.events.failed).toBe(failedBefore + 1);
  });

  it('survives an unreachable webhook', async () => {
    emulator.setEventWebhook({ url: 'http://127.0.0.1:1/unreachable' });

    await expect(emulator.rotateKey(TEST_TDE_VAULT, 'tde-key')).resolves.toContain('/keys/tde-key/');
  });
});
