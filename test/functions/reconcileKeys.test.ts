import { describe, expect, it } from 'vitest';
import { makeReconcileKeys } from '../../functions/reconcileKeys.js';
import { makeRotationWorker } from '../../functions/rotationWorker.js';
import type { FunctionTestEnv } from '../support/functionHarness.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';
import { TDE_KEY_V1, TDE_KEY_V2, TEST_RESOURCE_GROUP, TEST_SERVERS, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT, TEST_TDE_VAULT_URL } from '../support/emulator.js';
import { testEstateWith, testGeoPairConfig } from '../support/testEstates.js';

const KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;
const HSM = 'test-hsm';
const HSM_KEY = `https://${HSM}.managedhsm.azure.net/keys/hsm-key`;
const HSM_V1 = 'a'.repeat(32);
const HSM_V2 = 'b'.repeat(32);

/** The test estate plus a Managed HSM key protecting sql-hsm, and sql-versionless following tde-key by itself. */
function estate() {
  return testEstateWith({
    addServers: [
      {
        name: 'sql-hsm',
        location: 'westeurope',
        keys: [{ uri: `${HSM_KEY}/${HSM_V1}` }],
        protector: { serverKeyType: 'AzureKeyVault', serverKeyName: `${HSM}_hsm-key_${HSM_V1}` },
      },
      {
        name: 'sql-versionless',
        location: 'westeurope',
        keys: [{ uri: KEY, name: `${TEST_TDE_VAULT}_tde-key` }],
        protector: { serverKeyType: 'AzureKeyVault', serverKeyName: `${TEST_TDE_VAULT}_tde-key` },
      },
    ],
    addVaults: [
      {
        name: HSM,
        kind: 'managedHsm',
        subscriptionId: TEST_SUBSCRIPTION_ID,
        resourceGroup: 'rg-security',
        keys: [{ name: 'hsm-key', versions: [{ version: HSM_V1, kty: 'RSA-HSM', size: 2048, created: '2025-01-01T00:00:00Z' }] }],
      },
    ],
  });
}

const config = {
  keys: {
    [KEY]: {
      servers: [...testGeoPairConfig(), { id: `${TEST_SERVERS}/sql-versionless`, switchProtector: true }],
    },
    [HSM_KEY]: { servers: [{ id: `${TEST_SERVERS}/sql-hsm`, switchProtector: true }] },
  },
};

/** Runs the timer, then the worker on every enqueued item until the queue is empty. */
async function sweepAndDrain(env: FunctionTestEnv, lines: string[] = []): Promise<void> {
  const timer = makeReconcileKeys(() => env.services).handler as (t: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>;
  const worker = makeRotationWorker(() => env.services).handler as (m: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>;
  await timer({ isPastDue: false }, capturingContext('reconcileKeys', lines));
  for (let i = 0; i < 20; i += 1) {
    const due = env.queue.takeDue();
    if (due.length === 0) return;
    for (const item of due) await worker(JSON.parse(JSON.stringify(item)), capturingContext('rotationWorker', lines, { messageId: `m-${i}` }));
  }
}

describe('Function: reconcileKeys', () => {
  const env = useFunctionTestEnv(config, { estate: estate() });
  const server = (name: string) => env.emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);

  it('heals a lost event: a version nobody announced reaches every drifting server', async () => {
    // Prepare: sql-primary is on V1 while V2 is the newest; no event is delivered.
    expect(server('sql-primary')?.protector.serverKeyName).toBe(`${TEST_TDE_VAULT}_tde-key_${TDE_KEY_V1}`);
    const lines: string[] = [];
    // Act
    await sweepAndDrain(env, lines);
    // Assess
    expect(server('sql-primary')?.protector.serverKeyName).toBe(`${TEST_TDE_VAULT}_tde-key_${TDE_KEY_V2}`);
    expect(lines.join('\n')).toMatch(/Reconcile done: \d+ item\(s\) enqueued/);
  });

  it('rotates a Managed HSM key, which publishes no events, through the timer alone', async () => {
    env.emulator.state.addKeyVersion(HSM, 'hsm-key', {
      ...(env.emulator.state.keyVersion(HSM, 'hsm-key', HSM_V1) as NonNullable<ReturnType<typeof env.emulator.state.keyVersion>>),
      version: HSM_V2,
      created: Date.parse('2025-06-01T00:00:00Z') / 1000,
      updated: Date.parse('2025-06-01T00:00:00Z') / 1000,
    });

    await sweepAndDrain(env);

    expect(server('sql-hsm')?.protector.serverKeyName).toBe(`${HSM}_hsm-key_${HSM_V2}`);
    expect(server('sql-hsm')?.keys.has(`${HSM}_hsm-key_${HSM_V2}`.toLowerCase())).toBe(true);
  });

  it('leaves a versionless protector versionless: it follows the newest version by itself', async () => {
    await sweepAndDrain(env);

    expect(server('sql-versionless')?.protector.serverKeyName).toBe(`${TEST_TDE_VAULT}_tde-key`);
  });

  it('enqueues nothing once everything has converged (a second sweep is reads only)', async () => {
    await sweepAndDrain(env);
    env.emulator.stats.reset();
    const before = env.queue.scheduled.length;

    await sweepAndDrain(env);

    expect(env.queue.scheduled.length).toBe(before);
    expect(env.emulator.stats.writes).toBe(0);
  });
});
