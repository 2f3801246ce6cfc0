import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/local/emulator/index.js';
import { startTestEmulator, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL } from '../support/emulator.js';
import { AGENT_1, cli, testRotationConfig, type SyncRotateJson, type SyncStatusJson } from './cliHarness.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('CLI: sync-agents', () => {
  let emulator: RunningEmulator;
  let receiver: Receiver;
  const agentKey = () =>
    emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')?.syncAgents.get('agent-1')?.currentKey;

  // One emulator per file: the SDK's managed-identity client remembers the first identity endpoint it used.
  // Tests run in order and each says what state it starts from.
  beforeAll(async () => {
    emulator = await startTestEmulator();
    receiver = await startReceiver();
  });
  afterEach(() => {
    emulator.faults.clear();
  });
  afterAll(async () => {
    await emulator.stop();
    await receiver.close();
  });

  it('status: a never-rotated agent has no secret (exit 2)', async () => {
    const run = await cli(['sync-agents', 'status', '--json']);

    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      command: 'sync-agents status',
      agents: [{ agent: AGENT_1, vaultUrl: TEST_SYNC_VAULT_URL, secretName: 'agent-1-key', status: 'missing' }],
      summary: { agents: 1, missing: 1 },
      exitCode: 2,
    });
  });

  it('rotate stores the key, then status shows its age and never the key (exit 0)', async () => {
    const rotated = await cli(['sync-agents', 'rotate', '--agent', AGENT_1, '--json']);
    const status = await cli(['sync-agents', 'status']);
    const json = await cli(['sync-agents', 'status', '--json']);

    expect(rotated.code).toBe(0);
    expect(rotated.json<SyncRotateJson>().outcomes).toMatchObject([{ kind: 'rotated', target: AGENT_1 }]);
    const key = agentKey();
    expect(key).toBeDefined();
    expect(emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get('agent-1-key')?.versions.at(-1)?.value).toBe(key);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/rg-test\/sql-primary\/agent-1\s+config\s+https:\/\/test-sync\.vault\.azure\.net\s+agent-1-key\s+\S+Z\s+0\s+ok/);
    expect(json.json<SyncStatusJson>().agents[0]!).toMatchObject({ status: 'ok', ageDays: 0, rotationId: rotated.json<SyncRotateJson>().runId });
    for (const out of [rotated.stdout, rotated.stderr, status.stdout, json.stdout]) expect(out).not.toContain(key);
  });

  it('rotate skips an agent rotated within the minimum interval unless --force', async () => {
    await cli(['sync-agents', 'rotate']);
    const first = agentKey();

    const again = await cli(['sync-agents', 'rotate', '--json']);
    const forced = await cli(['sync-agents', 'rotate', '--force', '--json']);

    expect(again.json<SyncRotateJson>().outcomes[0]!.kind).toBe('skipped');
    expect(forced.json<SyncRotateJson>().outcomes[0]!.kind).toBe('rotated');
    expect(agentKey()).not.toBe(first);
  });

  it('rotate rejects an agent that is neither configured nor discovered', async () => {
    const run = await cli(['sync-agents', 'rotate', '--agent', `${AGENT_1}-nope`]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: sync agent .*agent-1-nope is neither configured nor discovered/);
  });

  it('notifies agent, secret name and outcome, and never the key, in every format', async () => {
    for (const format of ['generic', 'teams', 'slack']) {
      const config = testRotationConfig({ notifications: { webhookUrl: receiver.url, format } });
      const run = await cli(['sync-agents', 'rotate', '--force'], { config });
      expect(run.code).toBe(0);
      const body = receiver.received.at(-1)?.body ?? '';
      expect(body).toContain('agent-1-key');
      expect(body).toContain('rotated');
      expect(body).not.toContain(agentKey());
    }
    expect(receiver.received).toHaveLength(3);
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({
      kind: 'syncAgentRotation',
      agents: [{ agent: AGENT_1, secretName: 'agent-1-key', outcome: 'rotated' }],
    });
  });
});
