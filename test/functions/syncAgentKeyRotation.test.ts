import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvocationContext, type Timer } from '@azure/functions';
import { syncAgentKeyRotation, syncAgentKeyRotationHandler } from '../../functions/syncAgentKeyRotation.js';
import { rotationWorkerHandler } from '../../functions/rotationWorker.js';
import { toQueueMessage } from '../../src/app/queueMessage.js';
import { SYNC_AGENT_KEY_CONTENT_TYPE } from '../../src/app/rotateSyncAgentKeys.js';
import { configureServices, resetServices } from '../../src/compositionRoot.js';
import { ROTATION_CONFIG_SETTING } from '../../src/config/loadConfig.js';
import { SYNC_AGENT_TIMER_SCHEDULE } from '../../src/host/functionDefinition.js';
import type { RunningEmulator, SyncAgentState } from '../../src/local/emulator/index.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';
import {
  startTestEmulator,
  testEstate,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_SYNC_VAULT,
  TEST_SYNC_VAULT_URL,
} from '../support/emulator.js';

const serverId = (name: string): string =>
  `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers/${name}`;
const AGENT_1 = `${serverId('sql-primary')}/syncAgents/agent-1`;
const AGENT_2 = `${serverId('sql-primary')}/syncAgents/agent-2`;
const AGENT_3 = `${serverId('sql-plain')}/syncAgents/agent-3`;
const SECRET_1 = 'agent-one-key';
/** Derived names of the discovered agents. */
const SECRET_2 = 'syncagent-sql-primary-agent-2';
const SECRET_3 = 'syncagent-sql-plain-agent-3';

/** The test estate with agent-1 and agent-2 on sql-primary and agent-3 on sql-plain. */
function estate() {
  const e = testEstate();
  const [rg, ...rest] = e.subscriptions[0]!.resourceGroups;
  const servers = rg!.servers.map((s) =>
    s.name === 'sql-primary'
      ? { ...s, syncAgents: [{ name: 'agent-1' }, { name: 'agent-2' }] }
      : s.name === 'sql-plain'
        ? { ...s, syncAgents: [{ name: 'agent-3' }] }
        : s,
  );
  return { ...e, subscriptions: [{ ...e.subscriptions[0]!, resourceGroups: [{ ...rg!, servers }, ...rest] }] };
}

/** agent-1 explicitly with its own secret name; agent-2 and agent-3 discovered on their servers. */
const CONFIG = {
  syncAgents: {
    vaultUrl: TEST_SYNC_VAULT_URL,
    agents: [{ id: AGENT_1, secretName: SECRET_1 }],
    discovery: { servers: [serverId('sql-primary'), serverId('sql-plain')] },
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
  let emulator: RunningEmulator;
  let queue: FakeWorkQueue;
  let failures: FakeFailureSink;
  const saved = process.env[ROTATION_CONFIG_SETTING];

  const agentState = (server: string, name: string): SyncAgentState =>
    emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, server)!.syncAgents.get(name)!;
  const latestSecret = (name: string) => emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get(name.toLowerCase())?.versions.at(-1);

  beforeAll(async () => {
    emulator = await startTestEmulator({ estate: estate() });
  });
  beforeEach(() => {
    process.env[ROTATION_CONFIG_SETTING] = JSON.stringify(CONFIG);
    queue = new FakeWorkQueue();
    failures = new FakeFailureSink();
    resetServices();
    configureServices({ queue, failures });
  });
  afterEach(() => {
    emulator.faults.clear();
    emulator.state.vault(TEST_SYNC_VAULT)?.secrets.clear();
  });
  afterAll(async () => {
    resetServices();
    if (saved === undefined) delete process.env[ROTATION_CONFIG_SETTING];
    else process.env[ROTATION_CONFIG_SETTING] = saved;
    await emulator.stop();
  });

  it('is a timer on the schedule app setting that does not run on startup', () => {
    expect(syncAgentKeyRotation.name).toBe('syncAgentKeyRotation');
    expect(syncAgentKeyRotation.trigger).toEqual({ type: 'timer', schedule: SYNC_AGENT_TIMER_SCHEDULE, runOnStartup: false });
  });

  it('stores every configured and discovered agent its current key, with tags and one summary line', async () => {
    // Prepare
    const { context, lines } = invocation('syncAgentKeyRotation', 'run-manual-1');
    // Act
    await syncAgentKeyRotationHandler(timer, context);
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
      expect(stored?.exp).toBeGreaterThan(Date.now() / 1000 + 89 * 86_400);
    }
    const summary = lines.filter((l) => l.text.startsWith('Sync agent key rotation done'));
    expect(summary).toHaveLength(1);
    expect(summary[0]?.text).toContain('"rotated":3');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('skips every agent on a second run within the minimum interval', async () => {
    await syncAgentKeyRotationHandler(timer, invocation('syncAgentKeyRotation', 'run-a').context);
    const generations = [agentState('sql-primary', 'agent-1'), agentState('sql-primary', 'agent-2'), agentState('sql-plain', 'agent-3')].map(
      (a) => a.keyGeneration,
    );
    const { context, lines } = invocation('syncAgentKeyRotation', 'run-b');

    await syncAgentKeyRotationHandler(timer, context);

    expect([agentState('sql-primary', 'agent-1'), agentState('sql-primary', 'agent-2'), agentState('sql-plain', 'agent-3')].map((a) => a.keyGeneration)).toEqual(
      generations,
    );
    expect(lines.find((l) => l.text.startsWith('Sync agent key rotation done'))?.text).toContain('"skipped":3');
    expect(lines.some((l) => l.text.includes('younger than the minimum interval'))).toBe(true);
    expect(latestSecret(SECRET_1)?.value).toBe(agentState('sql-primary', 'agent-1').currentKey);
  });

  it('ends with the agent current key stored after a Key Vault 503 on setSecret, through the queue retry', async () => {
    // Prepare: every in-process attempt at writing agent-2's secret answers 503 (1 try + 2 SDK retries)
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'kv.secrets.set', url: new RegExp(`/secrets/${SECRET_2}\\?`), times: 3, retryAfterSeconds: 0 });
    const run = invocation('syncAgentKeyRotation', 'run-503');

    // Act: the timer run defers agent-2...
    await syncAgentKeyRotationHandler(timer, run.context);

    // ...with a warning and a scheduled retry that holds no key
    expect(latestSecret(SECRET_2)).toBeUndefined();
    expect(run.lines.find((l) => l.text.startsWith('Sync agent key rotation done'))?.text).toMatch(/"rotated":2,.*"deferred":1/);
    expect(queue.scheduled).toHaveLength(1);
    const keyAfterRun = agentState('sql-primary', 'agent-2').currentKey!;
    expect(JSON.stringify(queue.messages())).not.toContain(keyAfterRun);

    // Act: the queue delivers the retry to the worker
    const worker = invocation('rotationWorker', 'worker-1');
    await rotationWorkerHandler(toQueueMessage(queue.takeDue()[0]!).body, worker.context);

    // Assess: regenerated (the key from the failed run is gone) and stored
    const agent2 = agentState('sql-primary', 'agent-2');
    expect(agent2.currentKey).not.toBe(keyAfterRun);
    expect(latestSecret(SECRET_2)?.value).toBe(agent2.currentKey);
    expect(latestSecret(SECRET_2)?.tags).toMatchObject({ syncAgentId: AGENT_2, rotationId: 'run-503' });
    expect(failures.deadLetters).toEqual([]);
    const everything = [...run.lines, ...worker.lines].map((l) => l.text).join('\n');
    expect(everything).not.toContain(keyAfterRun);
    expect(everything).not.toContain(agent2.currentKey);
  });

  it('names each failed agent and its code in an error line and does not throw', async () => {
    const ghost = `${serverId('sql-primary')}/syncAgents/ghost`;
    process.env[ROTATION_CONFIG_SETTING] = JSON.stringify({
      syncAgents: { vaultUrl: TEST_SYNC_VAULT_URL, agents: [{ id: ghost }, { id: AGENT_1, secretName: SECRET_1 }] },
    });
    resetServices();
    configureServices({ queue, failures });
    const { context, lines } = invocation('syncAgentKeyRotation', 'run-ghost');

    await syncAgentKeyRotationHandler(timer, context);

    const errors = lines.filter((l) => l.level === 'error').map((l) => l.text);
    expect(errors.some((t) => t.includes(ghost) && t.includes('ResourceNotFound'))).toBe(true);
    expect(lines.find((l) => l.text.startsWith('Sync agent key rotation done'))?.text).toMatch(/"rotated":1,.*"failed":1/);
    expect(failures.deadLetters.map((d) => d.item.target)).toEqual([ghost]);
    expect(latestSecret(SECRET_1)?.value).toBe(agentState('sql-primary', 'agent-1').currentKey);
  });
});
