import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitCurrentKey } from '@sql-key-rotation/local-azure';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL } from '../support/emulator.js';
import { AGENT_1, cli, testRotationConfig, type SyncRotateJson, type SyncStatusJson } from './cliHarness.js';
import { startReceiver, type Receiver } from './receiver.js';
import { expectNoSecretIn } from '../support/secrecy.js';

describe('CLI: sync-agents', () => {
  /** The emulator's clock (and the CLI's, where a test passes `at()`) runs this far ahead of the real one. */
  let offsetMs = 0;
  const emulator = useTestEmulator({ clock: () => Date.now() + offsetMs });
  let receiver: Receiver;
  const at = () => ({ runtime: { clock: { now: () => new Date(Date.now() + offsetMs) } } });
  const agent1 = () => emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')!.syncAgents.get('agent-1')!;
  const agentKey = () =>
    emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')?.syncAgents.get('agent-1')?.currentKey;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
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
    expect(status.stdout).toMatch(
      /rg-test\/sql-primary\/agent-1\s+config\s+https:\/\/test-sync\.vault\.azure\.net\s+agent-1-key\s+[0-9a-f]{8}\s+\S+Z\s+0\s+Offline\s+\S+Z\s+awaiting pickup\s+ok/,
    );
    expect(status.stdout).toContain('handoffs: 0 back online, 1 awaiting pickup, 0 overdue');
    const secretVersion = emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get('agent-1-key')?.versions.at(-1)?.version;
    expect(json.json<SyncStatusJson>().agents[0]!).toMatchObject({
      status: 'ok',
      ageDays: 0,
      rotationId: rotated.json<SyncRotateJson>().runId,
      secretVersion,
      lastRotated: expect.stringMatching(/Z$/),
      agentState: 'Offline',
      lastAliveTime: expect.stringMatching(/Z$/),
      handoff: { state: 'awaitingPickup', overdueAt: expect.stringMatching(/Z$/) },
    });
    expectNoSecretIn([rotated.stdout, rotated.stderr, status.stdout, json.stdout].join('\n'), [key ?? ''].filter((k) => k !== ''));
  });

  it('status: an overdue handoff exits 2; once the agent is back it exits 0', async () => {
    // Prepare: a fresh rotation nobody picks up, then 31 minutes pass
    await cli(['sync-agents', 'rotate', '--force']);
    offsetMs += 31 * 60_000;
    // Act
    const overdue = await cli(['sync-agents', 'status', '--json'], at());
    const table = await cli(['sync-agents', 'status'], at());
    submitCurrentKey(agent1(), Date.now() + offsetMs + 5 * 60_000);
    offsetMs += 6 * 60_000;
    const back = await cli(['sync-agents', 'status', '--json'], at());
    // Assess
    expect(overdue.code).toBe(2);
    expect(overdue.json()).toMatchObject({
      agents: [{ agentState: 'Offline', handoff: { state: 'overdue' }, status: 'ok' }],
      summary: { overdue: 1, awaitingPickup: 0 },
      exitCode: 2,
    });
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/Offline\s+\S+Z\s+OVERDUE since \S+Z\s+ok/);
    expect(back.code).toBe(0);
    expect(back.json()).toMatchObject({ agents: [{ agentState: 'Online', handoff: { state: 'backOnline' } }], summary: { backOnline: 1 } });
    for (const out of [overdue.stdout, table.stdout, back.stdout]) expect(out).not.toContain(agentKey());
  });

  it('status carries the retirement warning of SQL Data Sync from 31 March 2027', async () => {
    const on2027 = { runtime: { clock: { now: () => new Date('2027-04-01T00:00:00Z') } } };

    const json = await cli(['sync-agents', 'status', '--json'], on2027);
    const table = await cli(['sync-agents', 'status'], on2027);
    const before = await cli(['sync-agents', 'status', '--json']);

    expect(json.json()).toMatchObject({ retirement: { phase: 'warning', message: expect.stringContaining('30 September 2027') } });
    expect(table.stdout).toMatch(/\nwarning: SQL Data Sync retires on 30 September 2027/);
    expect(before.json()).not.toHaveProperty('retirement');
  });

  it('rotate refuses every agent after 30 September 2027, saying why, with no key regenerated', async () => {
    const generations = agent1().keyGeneration;

    const run = await cli(['sync-agents', 'rotate', '--force', '--json'], { runtime: { clock: { now: () => new Date('2027-10-01T00:00:00Z') } } });

    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      outcomes: [{ kind: 'skipped', target: AGENT_1, reason: expect.stringContaining('retired on 30 September 2027') }],
      retirement: { phase: 'retired' },
    });
    expect(agent1().keyGeneration).toBe(generations);
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
