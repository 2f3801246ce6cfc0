import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvocationContext, type Timer } from '@azure/functions';
import { makeSyncAgentKeyRotation, syncAgentKeyRotation } from '../../functions/syncAgentKeyRotation.js';
import { makeRotationWorker } from '../../functions/rotationWorker.js';
import { toQueueMessage } from '../../src/app/queueMessage.js';
import { SYNC_AGENT_KEY_CONTENT_TYPE } from '../../src/app/syncAgentSecretTags.js';
import { createServices, type Services } from '../../src/compositionRoot.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import type { SyncAgentWorkItem } from '../../src/domain/workItem.js';
import { SYNC_AGENT_TIMER_SCHEDULE } from '../../src/functionsHost/functionDefinition.js';
import { submitCurrentKey, type SyncAgentState } from '@sql-key-rotation/local-azure';
import { startReceiver, type Receiver } from '../cli/receiver.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL, testServerId } from '../support/emulator.js';
import { expectNoSecretIn } from '../support/secrecy.js';
import { testEstateWith, testSyncAgentId } from '../support/testEstates.js';

const AGENT_1 = testSyncAgentId('sql-primary', 'agent-1');
const AGENT_2 = testSyncAgentId('sql-primary', 'agent-2');
const AGENT_3 = testSyncAgentId('sql-plain', 'agent-3');
const SECRET_1 = 'agent-one-key';
/** Derived names of the discovered agents. */
const SECRET_2 = 'syncagent-sql-primary-agent-2';
const SECRET_3 = 'syncagent-sql-plain-agent-3';
const MINUTE = 60_000;

/** agent-1 explicitly with its own secret name; agent-2 and agent-3 discovered on their servers. */
const CONFIG = {
  syncAgents: {
    vaultUrl: TEST_SYNC_VAULT_URL,
    agents: [{ id: AGENT_1, secretName: SECRET_1 }],
    discovery: { servers: [testServerId('sql-primary'), testServerId('sql-plain')] },
    minIntervalHours: 24,
    secretExpiryDays: 90,
  },
};

const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

interface Captured {
  readonly context: InvocationContext;
  readonly lines: { level: string; text: string }[];
}

function invocation(functionName: string, invocationId: string): Captured {
  const lines: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId,
    logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
  });
  return { context, lines };
}

describe('Function: syncAgentKeyRotation (against the emulator)', () => {
  /** The emulator and the app share a clock that runs this far ahead of the real one (tests move it; nothing sleeps). */
  let offsetMs = 0;
  // agent-1 and agent-2 on sql-primary, agent-3 on sql-plain; agent-1's host picks up in 5 min.
  const emulator = useTestEmulator({
    estate: testEstateWith({
      servers: {
        'sql-primary': { syncAgents: [{ name: 'agent-1', pickupAfterSeconds: 300 }, { name: 'agent-2' }] },
        'sql-plain': { syncAgents: [{ name: 'agent-3' }] },
      },
    }),
    clock: () => Date.now() + offsetMs,
  });
  let receiver: Receiver;
  let queue: FakeWorkQueue;
  let failures: FakeFailureSink;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  const services = (config: unknown = CONFIG, over: { clock?: { now(): Date } } = {}): Services =>
    createServices(loadConfig({ ROTATION_CONFIG: JSON.stringify(config) }), { queue, failures, clock, ...over });
  const runTimer = async (s: Services, invocationId: string): Promise<Captured> => {
    const run = invocation('syncAgentKeyRotation', invocationId);
    await (makeSyncAgentKeyRotation(() => s).handler)(timer, run.context);
    return run;
  };
  const runWorker = async (s: Services, body: unknown): Promise<Captured> => {
    const run = invocation('rotationWorker', 'worker-1');
    await (makeRotationWorker(() => s).handler as (m: unknown, c: InvocationContext) => Promise<void>)(body, run.context);
    return run;
  };
  const agentState = (server: string, name: string): SyncAgentState =>
    emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, server)!.syncAgents.get(name)!;
  const allAgents = (): SyncAgentState[] => [agentState('sql-primary', 'agent-1'), agentState('sql-primary', 'agent-2'), agentState('sql-plain', 'agent-3')];
  const latestSecret = (name: string) => emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get(name.toLowerCase())?.versions.at(-1);
  const summaryOf = (run: Captured) => run.lines.filter((l) => l.text.startsWith('Sync agent key rotation done'));

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  beforeEach(() => {
    queue = new FakeWorkQueue();
    failures = new FakeFailureSink();
    // Every test starts with connected agents and an empty vault. (The offset stays far below the 24 h the
    // emulator's tokens live: the SDK caches them by the real clock.)
    offsetMs += 10 * MINUTE;
    for (const a of allAgents()) submitCurrentKey(a, Date.now() + offsetMs);
    emulator.state.vault(TEST_SYNC_VAULT)?.secrets.clear();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('is a timer on the schedule app setting that does not run on startup', () => {
    expect(syncAgentKeyRotation.name).toBe('syncAgentKeyRotation');
    expect(syncAgentKeyRotation.trigger).toEqual({ type: 'timer', schedule: SYNC_AGENT_TIMER_SCHEDULE, runOnStartup: false });
  });

  it('stores every configured and discovered agent its current key, with tags and one summary line', async () => {
    // Act
    const run = await runTimer(services(), 'run-manual-1');
    // Assess
    for (const [server, agent, id, secret] of [
      ['sql-primary', 'agent-1', AGENT_1, SECRET_1],
      ['sql-primary', 'agent-2', AGENT_2, SECRET_2],
      ['sql-plain', 'agent-3', AGENT_3, SECRET_3],
    ] as const) {
      const stored = latestSecret(secret);
      expect(agentState(server, agent).currentKey).toBeDefined();
      expect(stored?.value).toBe(agentState(server, agent).currentKey);
      expect(stored?.contentType).toBe(SYNC_AGENT_KEY_CONTENT_TYPE);
      expect(stored?.tags).toMatchObject({ syncAgentId: id, server, syncAgent: agent, rotationId: 'run-manual-1' });
      expect(Date.parse(stored!.tags!['rotatedAt']!)).not.toBeNaN();
      expect(stored?.exp).toBeGreaterThan(clock.now().getTime() / 1000 + 89 * 86_400);
    }
    const summary = summaryOf(run);
    expect(summary).toHaveLength(1);
    expect(summary[0]?.text).toContain('"rotated":3');
    expect(summary[0]?.text).not.toContain('WARNING');
    expect(run.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('skips every agent on a second run within the minimum interval', async () => {
    const s = services();
    await runTimer(s, 'run-a');
    const generations = allAgents().map((a) => a.keyGeneration);

    const run = await runTimer(s, 'run-b');

    expect(allAgents().map((a) => a.keyGeneration)).toEqual(generations);
    expect(summaryOf(run)[0]?.text).toContain('"skipped":3');
    expect(run.lines.some((l) => l.text.includes('younger than the minimum interval'))).toBe(true);
    expect(latestSecret(SECRET_1)?.value).toBe(agentState('sql-primary', 'agent-1').currentKey);
  });

  it('ends with the agent current key stored after a Key Vault 503 on setSecret, through the queue retry', async () => {
    // Prepare: every in-process attempt at writing agent-2's secret answers 503 (1 try + 2 SDK retries)
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.set', url: new RegExp(`/secrets/${SECRET_2}\\?`), times: 3, retryAfterSeconds: 0 });
    const s = services();

    // Act: the timer run defers agent-2...
    const run = await runTimer(s, 'run-503');

    // ...with a warning and a scheduled retry that holds no key
    expect(latestSecret(SECRET_2)).toBeUndefined();
    expect(summaryOf(run)[0]?.text).toMatch(/"rotated":2,.*"deferred":1/);
    expect(queue.scheduled).toHaveLength(1);
    const keyAfterRun = agentState('sql-primary', 'agent-2').currentKey!;
    expectNoSecretIn(JSON.stringify(queue.messages()), [keyAfterRun]);

    // Act: the queue delivers the retry to the worker
    const worker = await runWorker(s, toQueueMessage(queue.takeDue()[0]!).body);

    // Assess: regenerated (the key from the failed run is gone) and stored
    const agent2 = agentState('sql-primary', 'agent-2');
    expect(agent2.currentKey).not.toBe(keyAfterRun);
    expect(latestSecret(SECRET_2)?.value).toBe(agent2.currentKey);
    expect(latestSecret(SECRET_2)?.tags).toMatchObject({ syncAgentId: AGENT_2, rotationId: 'run-503' });
    expect(failures.deadLetters).toEqual([]);
    const everything = [...run.lines, ...worker.lines].map((l) => l.text).join('\n');
    expectNoSecretIn(everything, [keyAfterRun, agent2.currentKey!]);
  });

  it('names each failed agent and its code in an error line and does not throw', async () => {
    const ghost = testSyncAgentId('sql-primary', 'ghost');
    const s = services({ syncAgents: { vaultUrl: TEST_SYNC_VAULT_URL, agents: [{ id: ghost }, { id: AGENT_1, secretName: SECRET_1 }] } });

    const run = await runTimer(s, 'run-ghost');

    const errors = run.lines.filter((l) => l.level === 'error').map((l) => l.text);
    expect(errors.some((t) => t.includes(ghost) && t.includes('ResourceNotFound'))).toBe(true);
    expect(summaryOf(run)[0]?.text).toMatch(/"rotated":1,.*"failed":1/);
    expect(failures.deadLetters.map((d) => d.item.target)).toEqual([ghost]);
    expect(latestSecret(SECRET_1)?.value).toBe(agentState('sql-primary', 'agent-1').currentKey);
  });

  describe('a queued item is a request, not an authority', () => {
    const crafted = (fields: Partial<SyncAgentWorkItem>): SyncAgentWorkItem => ({
      kind: 'syncAgentKey',
      target: AGENT_1,
      vaultUrl: TEST_SYNC_VAULT_URL,
      secretName: SECRET_1,
      rotationId: 'crafted',
      attempt: 1,
      firstSeen: '2026-06-01T00:00:00.000Z',
      correlationId: 'crafted',
      ...fields,
    });
    const cases: [string, Partial<SyncAgentWorkItem>][] = [
      ['a secret vault the config does not name', { vaultUrl: 'https://test-tde.vault.azure.net' }],
      ['a secret name the config does not give the agent', { secretName: SECRET_2 }],
      ['an agent that is not in the config', { target: testSyncAgentId('sql-secondary', 'agent-9'), secretName: 'syncagent-sql-secondary-agent-9' }],
    ];

    it.each(cases)('dead-letters an item naming %s as NotInConfig, with zero Azure writes', async (_name, fields) => {
      // Prepare
      const s = services();
      const generated = emulator.stats.count('arm.syncAgents.generateKey');
      const written = emulator.stats.count('kv.secrets.set');
      const item = crafted(fields);
      // Act
      const run = await runWorker(s, toQueueMessage(item).body);
      // Assess
      expect(emulator.stats.count('arm.syncAgents.generateKey')).toBe(generated);
      expect(emulator.stats.count('kv.secrets.set')).toBe(written);
      expect(failures.deadLetters.map((d) => d.reason)).toEqual(['NotInConfig']);
      expect(queue.scheduled).toEqual([]);
      const refusal = run.lines.find((l) => l.text.includes('refused (NotInConfig)'));
      expect(refusal?.level).toBe('error');
      expect(refusal?.text).toContain(item.target);
      expect(refusal?.text).toContain(item.vaultUrl);
      expect(refusal?.text).toContain(item.secretName);
    });
  });

  describe('key handoff', () => {
    it('alarms once for an agent whose host never picks the key up, and not for the one that comes back', async () => {
      // Prepare: a webhook; the first run rotates all three (agent-1's host submits the key after 5 minutes)
      const s = services({ ...CONFIG, notifications: { webhookUrl: receiver.url, format: 'teams' } });
      await runTimer(s, 'run-1');
      const sent = receiver.received.length;
      // Act: the timer every 10 minutes for an hour (every agent is younger than the minimum interval: no rotation)
      const ticks: Captured[] = [];
      for (let i = 1; i <= 6; i++) {
        offsetMs += 10 * MINUTE;
        ticks.push(await runTimer(s, `tick-${i}`));
      }
      // Assess: agent-1 back online; agent-2 and agent-3 overdue, each alarmed once, at the first tick past 30 minutes
      const handoffLines = ticks.map((t) => t.lines.filter((l) => l.text.startsWith('SYNC_AGENT_OUTCOME') && l.text.includes('"handoff":"overdue"')));
      expect(handoffLines.map((l) => l.length)).toEqual([0, 0, 2, 0, 0, 0]);
      expect(handoffLines[2]!.map((l) => l.text).join('\n')).toContain(AGENT_2);
      expect(handoffLines[2]!.map((l) => l.text).join('\n')).toContain(AGENT_3);
      expect(ticks[2]!.lines.filter((l) => l.level === 'error' && l.text.includes('key handoff OVERDUE'))).toHaveLength(2);
      expect(summaryOf(ticks[5]!)[0]?.text).toContain('"handoffs":{"awaitingPickup":0,"backOnline":1,"overdue":2,"alarms":0}');
      const alarms = receiver.received.slice(sent).filter((r) => r.body.includes('HandoffOverdue'));
      expect(alarms).toHaveLength(2);
      expect(latestSecret(SECRET_2)?.tags).toMatchObject({ handoffAlarmAt: expect.any(String) });
      expect(latestSecret(SECRET_1)?.tags?.['handoffAlarmAt']).toBeUndefined();
      // No key in any line or notification
      const everything = [...ticks.flatMap((t) => t.lines.map((l) => l.text)), ...receiver.received.map((r) => r.body)].join('\n');
      for (const a of allAgents()) expect(everything).not.toContain(a.currentKey!);
    });
  });

  describe('retirement of SQL Data Sync (fake clock)', () => {
    it('carries a warning with the date in the summary line from 31 March 2027', async () => {
      const run = await runTimer(services(CONFIG, { clock: { now: () => new Date('2027-03-31T03:00:00Z') } }), 'run-2027');

      expect(summaryOf(run)[0]?.text).toContain('"rotated":3');
      expect(summaryOf(run)[0]?.text).toContain('WARNING: SQL Data Sync retires on 30 September 2027');
    });

    it('refuses to rotate after 30 September 2027, saying why', async () => {
      const generated = emulator.stats.count('arm.syncAgents.generateKey');

      const run = await runTimer(services(CONFIG, { clock: { now: () => new Date('2027-10-01T03:00:00Z') } }), 'run-late');

      expect(emulator.stats.count('arm.syncAgents.generateKey')).toBe(generated);
      expect(summaryOf(run)[0]?.text).toContain('Sync agent key rotation done: 0 agent(s). REFUSED: SQL Data Sync was retired on 30 September 2027');
    });
  });
});
