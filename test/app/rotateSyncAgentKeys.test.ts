import { describe, expect, it } from 'vitest';
import {
  SYNC_AGENT_KEY_CONTENT_TYPE,
  SYNC_AGENT_KEY_PURPOSE,
  processSyncAgentItem,
  rotateSyncAgentKeys,
  type SyncAgentDeps,
} from '../../src/app/rotateSyncAgentKeys.js';
import { toQueueMessage } from '../../src/app/queueMessage.js';
import type { SecretStore } from '../../src/app/ports.js';
import type { SyncAgentConfig, SyncAgentTarget } from '../../src/config/appConfig.js';
import { RotationError } from '../../src/domain/errors.js';
import type { Outcome } from '../../src/domain/outcome.js';
import type { SyncAgentWorkItem } from '../../src/domain/workItem.js';
import { ConcurrencyProbe } from '../support/concurrencyProbe.js';
import { safeStringify } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeSecretStore } from '../support/fakes/fakeSecretStore.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSyncAgents } from '../support/fakes/fakeSyncAgents.js';
import { fakeRetryDeps, TEST_RETRY_POLICY } from '../support/fakes/fakeRetryDeps.js';
import { expectNoSecretIn } from '../support/secrecy.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-sync`;
const SERVER_A = `${RG}/providers/Microsoft.Sql/servers/sql-a`;
const SERVER_B = `${RG}/providers/Microsoft.Sql/servers/sql-b`;
const agentId = (server: string, name: string): string => `${server}/syncAgents/${name}`;
const AGENT_1 = agentId(SERVER_A, 'agent1');
const AGENT_2 = agentId(SERVER_A, 'agent2');
const AGENT_3 = agentId(SERVER_B, 'agent3');
const VAULT = 'https://contoso-sync.vault.azure.net';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const target = (id: string, secretName: string): SyncAgentTarget => ({ id, vaultUrl: VAULT, secretName });

/** Agent 1's work item as the run schedules its first retry (attempt 2 of run-1), with the given fields. */
const agentItem = (over: Partial<SyncAgentWorkItem> = {}): SyncAgentWorkItem => ({
  kind: 'syncAgentKey',
  target: AGENT_1,
  vaultUrl: VAULT,
  secretName: 'sync-agent1',
  rotationId: 'run-1',
  attempt: 2,
  firstSeen: '2026-03-01T03:00:00.000Z',
  correlationId: 'run-1',
  ...over,
});

function setup(options: { agents?: string[]; config?: Partial<SyncAgentConfig>; servers?: string[] } = {}) {
  const clock = new FakeClock('2026-03-01T03:00:00Z');
  const syncAgents = new FakeSyncAgents(options.agents ?? [AGENT_1, AGENT_2, AGENT_3]);
  const secrets = new FakeSecretStore(clock);
  const retry = fakeRetryDeps({ clock });
  const { queue, failures, logger } = retry;
  const syncAgentConfig: SyncAgentConfig = {
    agents: [target(AGENT_1, 'sync-agent1'), target(AGENT_2, 'sync-agent2'), target(AGENT_3, 'sync-agent3')],
    minIntervalMs: DAY,
    secretExpiryMs: 90 * DAY,
    ...options.config,
  };
  const deps: SyncAgentDeps = {
    syncAgents,
    secrets,
    servers: new FakeServerDirectory(options.servers ?? [SERVER_A, SERVER_B]),
    ...retry,
    config: { syncAgents: syncAgentConfig, fanOut: { inlineLimit: 10, concurrency: 2 } },
  };
  return { deps, clock, syncAgents, secrets, queue, failures, logger };
}

const run = (deps: SyncAgentDeps, rotationId = 'run-1') =>
  rotateSyncAgentKeys(deps, { rotationId, now: deps.clock.now() });

const byTarget = (outcomes: readonly Outcome[]): Record<string, Outcome> =>
  Object.fromEntries(outcomes.map((o) => [o.target, o]));

const unavailable = (agent: string, retryAfterMs?: number) =>
  new RotationError('ServiceUnavailable', 'retriable', '503 ServiceUnavailable: try later', {
    details: { agent, statusCode: 503, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  });

describe('Function: rotateSyncAgentKeys', () => {
  it('stores each configured agent its current key with content type, tags and expiry', async () => {
    // Prepare
    const { deps, secrets, syncAgents, clock } = setup();
    // Act
    const { outcomes } = await run(deps, 'run-42');
    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual(['rotated', 'rotated', 'rotated']);
    for (const [id, name] of [
      [AGENT_1, 'sync-agent1'],
      [AGENT_2, 'sync-agent2'],
      [AGENT_3, 'sync-agent3'],
    ] as const) {
      const stored = secrets.latest(VAULT, name);
      expect(stored?.value).toBe(syncAgents.currentKey(id));
      expect(stored?.contentType).toBe(SYNC_AGENT_KEY_CONTENT_TYPE);
      expect(stored?.expiresOn).toEqual(new Date(clock.now().getTime() + 90 * DAY));
      expect(stored?.tags).toMatchObject({
        purpose: SYNC_AGENT_KEY_PURPOSE,
        syncAgentId: id,
        rotatedAt: '2026-03-01T03:00:00.000Z',
        rotationId: 'run-42',
      });
    }
    expect(secrets.latest(VAULT, 'sync-agent3')?.tags).toMatchObject({ server: 'sql-b', syncAgent: 'agent3' });
  });

  it('says where each key was stored, in the outcome and in an info line', async () => {
    // Prepare
    const { deps, logger } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes).toEqual([{ kind: 'rotated', target: AGENT_1, detail: expect.stringContaining(VAULT) }]);
    expect(outcomes[0]?.kind === 'rotated' && outcomes[0].detail).toContain('sync-agent1');
    expect(logger.at('info').map((l) => l.properties)).toContainEqual({ agent: AGENT_1, vaultUrl: VAULT, secretName: 'sync-agent1', attempt: 1 });
  });

  it('processes as many agents at a time as fanOut.concurrency allows', async () => {
    // Prepare: three agents, two at a time
    const { deps, syncAgents } = setup();
    const probe = new ConcurrencyProbe();
    const generate = syncAgents.generateKey.bind(syncAgents);
    syncAgents.generateKey = (id) => probe.around(() => generate(id));
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual(['rotated', 'rotated', 'rotated']);
    expect(probe.max).toBe(2);
  });

  it('refuses, before regenerating its key, an agent whose id cannot label the secret', async () => {
    // Prepare: an id that names a server, not a sync agent (loadConfig refuses it; the use case does not rely on that)
    const { deps, syncAgents, failures } = setup({ config: { agents: [target(SERVER_A, 'sync-server-a')] } });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'failed', target: SERVER_A, code: 'InvalidArmId' })]);
    expect(syncAgents.generateCalls).toEqual([]);
    expect(failures.deadLetters.map((d) => d.reason)).toEqual(['InvalidArmId']);
  });

  it('sets no expiry when secretExpiryMs is not configured', async () => {
    const { deps, secrets } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    const { secretExpiryMs: _omit, ...syncAgents } = deps.config.syncAgents;

    await run({ ...deps, config: { ...deps.config, syncAgents } });

    expect(secrets.latest(VAULT, 'sync-agent1')?.expiresOn).toBeUndefined();
  });

  it('skips an agent whose secret is younger than the minimum interval and says how old it is', async () => {
    // Prepare
    const { deps, secrets, syncAgents, clock } = setup();
    secrets.seed(VAULT, 'sync-agent2', { updatedOn: new Date(clock.now().getTime() - 5 * HOUR) });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    const o = byTarget(outcomes)[AGENT_2];
    expect(o).toMatchObject({ kind: 'skipped' });
    expect(o?.kind === 'skipped' && o.reason).toBe(
      'secret sync-agent2 is 5 h old, younger than the minimum interval of 24 h',
    );
    expect(syncAgents.generateCalls).not.toContain(AGENT_2);
    expect(byTarget(outcomes)[AGENT_1]?.kind).toBe('rotated');
  });

  it('rotates an agent whose secret is older than the minimum interval', async () => {
    const { deps, secrets, syncAgents, clock } = setup();
    secrets.seed(VAULT, 'sync-agent1', { updatedOn: new Date(clock.now().getTime() - 25 * HOUR) });

    const { outcomes } = await run(deps);

    expect(byTarget(outcomes)[AGENT_1]?.kind).toBe('rotated');
    expect(secrets.latest(VAULT, 'sync-agent1')?.value).toBe(syncAgents.currentKey(AGENT_1));
  });

  it('rotates an agent whose secret is exactly the minimum interval old', async () => {
    // Prepare
    const { deps, secrets, clock } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    secrets.seed(VAULT, 'sync-agent1', { updatedOn: new Date(clock.now().getTime() - DAY) });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes[0]?.kind).toBe('rotated');
  });

  it('gives ages under 10 hours to the tenth of an hour and longer ones to the hour', async () => {
    // Prepare: 1.5 hours old, minimum interval 25.5 hours
    const { deps, secrets, clock } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')], minIntervalMs: 25.5 * HOUR } });
    secrets.seed(VAULT, 'sync-agent1', { updatedOn: new Date(clock.now().getTime() - 1.5 * HOUR) });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes[0]).toEqual({
      kind: 'skipped',
      target: AGENT_1,
      reason: 'secret sync-agent1 is 1.5 h old, younger than the minimum interval of 26 h',
    });
  });

  it('skips every agent on a second run within the minimum interval', async () => {
    const { deps, syncAgents, clock } = setup();
    await run(deps, 'run-1');
    clock.advance(2 * HOUR);

    const { outcomes } = await run(deps, 'run-2');

    expect(outcomes.map((o) => o.kind)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(syncAgents.generateCalls).toHaveLength(3);
  });

  it('defers a failed secret write to the queue as a whole step, and the retry stores the current key', async () => {
    // Prepare
    const { deps, secrets, syncAgents, queue, clock } = setup();
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1, 10_000));
    // Act
    const { outcomes } = await run(deps, 'run-7');
    // Assess: deferred, queued with identifiers only, not earlier than Retry-After
    expect(byTarget(outcomes)[AGENT_1]).toMatchObject({ kind: 'deferred', code: 'SecretWriteFailed' });
    expect(queue.scheduled).toHaveLength(1);
    const [queued] = queue.scheduled;
    expect(queued?.item).toEqual(agentItem({ rotationId: 'run-7', correlationId: 'run-7' }));
    expect(queued!.at!.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(10_000);
    expect(secrets.latest(VAULT, 'sync-agent1')).toBeUndefined();

    // Act: the queue delivers the retry
    clock.set(queued!.at!);
    const retried = await processSyncAgentItem(deps, queue.takeDue(clock.now())[0] as SyncAgentWorkItem);

    // Assess: regenerated, then stored; the vault holds the key the agent now has
    expect(retried.kind).toBe('rotated');
    expect(syncAgents.generateCalls.filter((a) => a === AGENT_1)).toHaveLength(2);
    expect(secrets.latest(VAULT, 'sync-agent1')?.value).toBe(syncAgents.currentKey(AGENT_1));
    expect(secrets.latest(VAULT, 'sync-agent1')?.value).toBe(syncAgents.generatedKeys.at(-1));
  });

  it('logs loudly that a key was regenerated but not stored', async () => {
    const { deps, secrets, logger } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1));

    await run(deps);

    expect(logger.at('error').map((l) => l.message)).toContain(
      `Sync agent ${AGENT_1}: key regenerated but NOT stored: ServiceUnavailable`,
    );
    expect(logger.at('error').map((l) => l.properties)).toContainEqual({
      agent: AGENT_1,
      vaultUrl: VAULT,
      secretName: 'sync-agent1',
      attempt: 1,
      code: 'ServiceUnavailable',
      errorClass: 'retriable',
    });
  });

  it('dead-letters a refused secret write without retrying', async () => {
    const { deps, secrets, queue, failures } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    secrets.setFaults.failNext(
      FakeSecretStore.target(VAULT, 'sync-agent1'),
      new RotationError('Forbidden', 'terminal', '403 Forbidden: no secrets/set permission', { details: { statusCode: 403 } }),
    );

    const { outcomes } = await run(deps);

    expect(outcomes[0]).toMatchObject({ kind: 'failed', code: 'SecretWriteFailed' });
    expect(queue.scheduled).toHaveLength(0);
    expect(failures.deadLetters).toHaveLength(1);
    expect(failures.deadLetters[0]?.reason).toBe('SecretWriteFailed');
    expect(failures.deadLetters[0]?.description).toContain('Forbidden');
  });

  it('retries a throttled generateKey through the queue without touching the vault', async () => {
    const { deps, syncAgents, secrets, queue } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    syncAgents.generateFaults.failNext(AGENT_1, unavailable(AGENT_1));

    const { outcomes } = await run(deps);

    expect(outcomes[0]).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
    expect(queue.scheduled[0]?.item.attempt).toBe(2);
    expect(secrets.versions(VAULT, 'sync-agent1')).toHaveLength(0);
  });

  it('does not regenerate the key when the vault cannot be read, and retries later', async () => {
    const { deps, syncAgents, secrets, queue } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    secrets.getFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1));

    const { outcomes } = await run(deps);

    expect(outcomes[0]?.kind).toBe('deferred');
    expect(syncAgents.generateCalls).toHaveLength(0);
    expect(queue.scheduled).toHaveLength(1);
  });

  it('skips a queued retry when the earlier write landed although its response was lost', async () => {
    // Prepare: the vault stores the secret but the caller sees a network error
    const { deps, secrets, syncAgents, queue, clock } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    const lossy: SecretStore = {
      getSecretInfo: (v, n) => secrets.getSecretInfo(v, n),
      updateSecretTags: (v, n, version, tags) => secrets.updateSecretTags(v, n, version, tags),
      setSecret: async (v, n, value, o) => {
        await secrets.setSecret(v, n, value, o);
        throw new RotationError('NetworkError', 'retriable', 'Network error (ECONNRESET)');
      },
    };
    const first = await run({ ...deps, secrets: lossy });
    expect(first.outcomes[0]?.kind).toBe('deferred');
    // Act
    clock.set(queue.nextDueAt()!);
    const retried = await processSyncAgentItem(deps, queue.takeDue(clock.now())[0] as SyncAgentWorkItem);
    // Assess: no second regeneration; the stored key is the agent's key
    expect(retried.kind).toBe('skipped');
    expect(syncAgents.generateCalls).toHaveLength(1);
    expect(secrets.latest(VAULT, 'sync-agent1')?.value).toBe(syncAgents.currentKey(AGENT_1));
  });

  it('dead-letters after the last attempt', async () => {
    const { deps, secrets, failures } = setup({ config: { agents: [target(AGENT_1, 'sync-agent1')] } });
    secrets.setFaults.failAlways(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1));

    const outcome = await processSyncAgentItem(deps, agentItem({ attempt: TEST_RETRY_POLICY.maxAttempts }));

    expect(outcome).toMatchObject({ kind: 'failed', code: 'SecretWriteFailed' });
    expect(failures.deadLetters[0]?.reason).toBe('MaxAttemptsExceeded');
  });

  it('keeps rotating the other agents when one fails terminally', async () => {
    const { deps, syncAgents, failures } = setup();
    syncAgents.generateFaults.failNext(
      AGENT_2,
      new RotationError('ResourceNotFound', 'terminal', '404 ResourceNotFound', { details: { statusCode: 404 } }),
    );

    const { outcomes } = await run(deps);

    const o = byTarget(outcomes);
    expect(o[AGENT_1]?.kind).toBe('rotated');
    expect(o[AGENT_2]).toMatchObject({ kind: 'failed', code: 'ResourceNotFound' });
    expect(o[AGENT_3]?.kind).toBe('rotated');
    expect(failures.deadLetters.map((d) => d.item.target)).toEqual([AGENT_2]);
  });

  it('reports an agent as failed and goes on when even the retry cannot be scheduled', async () => {
    const { deps, secrets, queue, logger } = setup();
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1));
    queue.failNext(new Error('Service Bus unavailable'));

    const { outcomes } = await run(deps);

    expect(byTarget(outcomes)[AGENT_1]?.kind).toBe('failed');
    expect(byTarget(outcomes)[AGENT_2]?.kind).toBe('rotated');
    const line = logger.at('error').find((l) => l.message.includes('no retry could be scheduled'));
    expect(line?.properties).toEqual({ agent: AGENT_1, code: 'UnexpectedError', reason: expect.stringContaining('Service Bus unavailable') });
  });

  it('throws from processSyncAgentItem when the retry cannot be scheduled, so the trigger redelivers', async () => {
    const { deps, secrets, queue } = setup();
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), unavailable(AGENT_1));
    queue.failNext(new Error('Service Bus unavailable'));
    const item = agentItem();

    await expect(processSyncAgentItem(deps, item)).rejects.toThrow('Service Bus unavailable');
  });
});

describe('Function: rotateSyncAgentKeys (discovery)', () => {
  const SERVER_C = `/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Sql/servers/sql-c`;
  const AGENT_4 = agentId(SERVER_C, 'agent4');

  it('rotates every agent on the discovery servers and scopes into derived secrets in the default vault', async () => {
    // Prepare
    const { deps, secrets, syncAgents } = setup({
      agents: [AGENT_1, AGENT_2, AGENT_3, AGENT_4],
      servers: [SERVER_A, SERVER_B, SERVER_C],
      config: {
        agents: [target(AGENT_1, 'explicit-agent1')],
        vaultUrl: VAULT,
        discovery: { servers: [SERVER_C], scopes: [RG] },
      },
    });
    // Act
    const { outcomes } = await run(deps);
    // Assess
    expect(outcomes.map((o) => [o.target, o.kind])).toEqual([
      [AGENT_1, 'rotated'],
      [AGENT_4, 'rotated'],
      [AGENT_2, 'rotated'],
      [AGENT_3, 'rotated'],
    ]);
    // The configured agent keeps its own secret name and is not rotated twice.
    expect(syncAgents.generateCalls.filter((a) => a === AGENT_1)).toHaveLength(1);
    expect(secrets.latest(VAULT, 'explicit-agent1')?.value).toBe(syncAgents.currentKey(AGENT_1));
    expect(secrets.versions(VAULT, 'syncagent-sql-a-agent1')).toHaveLength(0);
    expect(secrets.latest(VAULT, 'syncagent-sql-c-agent4')?.value).toBe(syncAgents.currentKey(AGENT_4));
  });

  it('fails loudly, without rotating them, discovered agents whose derived secret names collide', async () => {
    // sql-a/agent-x and sql-a-agent/x could derive the same name; here a configured agent takes the name.
    const { deps, syncAgents, logger } = setup({
      agents: [AGENT_1, AGENT_2],
      config: {
        agents: [target(AGENT_1, 'syncagent-sql-a-agent2')],
        vaultUrl: VAULT,
        discovery: { servers: [SERVER_A], scopes: [] },
      },
    });

    const { outcomes } = await run(deps);

    expect(byTarget(outcomes)[AGENT_2]).toMatchObject({ kind: 'failed', code: 'SecretNameCollision' });
    expect(byTarget(outcomes)[AGENT_1]?.kind).toBe('rotated');
    expect(syncAgents.generateCalls).toEqual([AGENT_1]);
    expect(logger.at('error').some((l) => l.message.includes('SecretNameCollision') || l.properties?.['code'] === 'SecretNameCollision')).toBe(true);
  });

  it('reports a server whose agents cannot be listed and rotates the rest', async () => {
    const { deps, syncAgents } = setup({
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_A, SERVER_B], scopes: [] } },
    });
    syncAgents.listFaults.failNext(SERVER_A, new RotationError('AuthorizationFailed', 'terminal', '403 AuthorizationFailed'));

    const { outcomes } = await run(deps);

    expect(byTarget(outcomes)[SERVER_A]).toMatchObject({ kind: 'failed', code: 'AuthorizationFailed' });
    expect(byTarget(outcomes)[AGENT_3]?.kind).toBe('rotated');
  });

  it('fails discovered agents when no default vault is configured', async () => {
    const { deps } = setup({ config: { agents: [], discovery: { servers: [SERVER_B], scopes: [] } } });

    const { outcomes } = await run(deps);

    expect(outcomes).toEqual([expect.objectContaining({ kind: 'failed', target: AGENT_3, code: 'InvalidConfig' })]);
  });
});

describe('Function: rotateSyncAgentKeys (secrets stay secret)', () => {
  it('puts no generated key in any log line, queue message, dead-letter, error or outcome', async () => {
    // Prepare: ARM 503 on one agent, Key Vault 503 on another's write, a terminal 404 for a third, one success
    const AGENT_4 = agentId(SERVER_B, 'agent4');
    const { deps, syncAgents, secrets, queue, failures, logger, clock } = setup({
      agents: [AGENT_1, AGENT_2, AGENT_3, AGENT_4],
      config: {
        agents: [
          target(AGENT_1, 'sync-agent1'),
          target(AGENT_2, 'sync-agent2'),
          target(AGENT_3, 'sync-agent3'),
          target(AGENT_4, 'sync-agent4'),
        ],
      },
    });
    syncAgents.generateFaults.failNext(AGENT_1, unavailable(AGENT_1, 5_000));
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent2'), unavailable(AGENT_2));
    secrets.setFaults.failNext(
      FakeSecretStore.target(VAULT, 'sync-agent3'),
      new RotationError('SecretNotFound', 'terminal', '404 vault not found', { details: { statusCode: 404 } }),
    );
    const thrown: unknown[] = [];

    // Act: the run, then every queued retry until the queue is empty (one more failure on the way)
    const outcomes = [...(await run(deps)).outcomes];
    secrets.setFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent2'), unavailable(AGENT_2));
    for (let due = queue.nextDueAt(); due !== undefined; due = queue.nextDueAt()) {
      clock.set(due);
      for (const item of queue.takeDue(clock.now())) {
        try {
          outcomes.push(await processSyncAgentItem(deps, item as SyncAgentWorkItem));
        } catch (e) {
          thrown.push(e);
        }
      }
    }

    // Assess: it did exercise the paths...
    expect(syncAgents.generatedKeys.length).toBeGreaterThanOrEqual(5);
    expect(outcomes.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['rotated', 'deferred', 'failed']),
    );
    expect(failures.deadLetters.length).toBeGreaterThan(0);
    expect(queue.scheduled.length).toBeGreaterThan(0);
    expect(secrets.latest(VAULT, 'sync-agent2')?.value).toBe(syncAgents.currentKey(AGENT_2));
    // ...and nothing it produced holds a key
    const everything = [
      logger.text(),
      safeStringify(queue.messages()),
      queue.messages().map((m) => JSON.stringify(m.body)).join('\n'),
      safeStringify(failures.deadLetters),
      safeStringify(outcomes),
      safeStringify(thrown),
      String(outcomes.map((o) => Object.values(o).join(' '))),
    ].join('\n');
    expectNoSecretIn(everything, syncAgents.generatedKeys);
  });

  it('queue messages of a sync-agent item hold identifiers only', () => {
    const item = agentItem();

    expect(Object.keys(toQueueMessage(item).body).sort()).toEqual(
      ['attempt', 'correlationId', 'firstSeen', 'kind', 'rotationId', 'secretName', 'target', 'vaultUrl'],
    );
  });
});

describe('Function: processSyncAgentItem (the configuration is the authority)', () => {
  const SERVER_C = `/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Sql/servers/sql-c`;
  const AGENT_4 = agentId(SERVER_C, 'agent4');
  const item = (over: Partial<SyncAgentWorkItem>): SyncAgentWorkItem =>
    agentItem({ rotationId: 'crafted', attempt: 1, correlationId: 'crafted', ...over });
  const crafted: [string, Partial<SyncAgentWorkItem>][] = [
    ['an agent that is neither configured nor discovered', { target: agentId(SERVER_B, 'intruder'), secretName: 'syncagent-sql-b-intruder' }],
    ['a configured agent with a foreign vault', { vaultUrl: 'https://attacker.vault.azure.net' }],
    ['a configured agent with another secret name', { secretName: 'sync-agent2' }],
    ['a discovery agent on a server outside discovery', { target: AGENT_4, vaultUrl: VAULT, secretName: 'syncagent-sql-c-agent4' }],
    ['not a sync agent id', { target: SERVER_A }],
  ];

  it.each(crafted)('dead-letters %s as NotInConfig with no Azure write', async (_name, over) => {
    // Prepare
    const { deps, syncAgents, secrets, failures, queue, logger } = setup({ agents: [AGENT_1, AGENT_2, AGENT_3, AGENT_4] });
    const crafted = item(over);
    // Act
    const outcome = await processSyncAgentItem(deps, crafted);
    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', code: 'NotInConfig' });
    expect(syncAgents.generateCalls).toEqual([]);
    expect(secrets.versions(VAULT, crafted.secretName)).toHaveLength(0);
    expect(secrets.versions(crafted.vaultUrl, crafted.secretName)).toHaveLength(0);
    expect(secrets.tagUpdates).toEqual([]);
    expect(queue.scheduled).toEqual([]);
    expect(failures.deadLetters.map((d) => [d.item.target, d.reason])).toEqual([[crafted.target, 'NotInConfig']]);
    const refusal = logger.at('error').find((l) => l.message.startsWith('Sync agent work item refused (NotInConfig)'));
    expect(refusal?.properties).toMatchObject({ agent: crafted.target, vaultUrl: crafted.vaultUrl, secretName: crafted.secretName });
  });

  it('rotates a discovered agent named by an item, into the derived secret of the default vault', async () => {
    const { deps, syncAgents, secrets } = setup({
      agents: [AGENT_1, AGENT_4],
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [], scopes: [`/subscriptions/${SUB}/resourceGroups/rg-other`] } },
    });

    const outcome = await processSyncAgentItem(deps, item({ target: AGENT_4.toUpperCase(), secretName: 'syncagent-sql-c-agent4' }));

    expect(outcome.kind).toBe('rotated');
    expect(secrets.latest(VAULT, 'syncagent-sql-c-agent4')?.value).toBe(syncAgents.currentKey(AGENT_4));
  });

  it('dead-letters an item for an agent in a discovery scope that does not exist there', async () => {
    const { deps, syncAgents, failures } = setup({
      agents: [AGENT_1],
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_C], scopes: [] } },
    });

    const outcome = await processSyncAgentItem(deps, item({ target: AGENT_4, secretName: 'syncagent-sql-c-agent4' }));

    expect(outcome).toMatchObject({ kind: 'failed', code: 'NotInConfig' });
    expect(syncAgents.generateCalls).toEqual([]);
    expect(failures.deadLetters[0]?.reason).toBe('NotInConfig');
  });

  it('retries an item whose discovery server cannot be listed yet, without writing', async () => {
    const { deps, syncAgents, queue, logger } = setup({
      agents: [AGENT_4],
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_C], scopes: [] } },
    });
    syncAgents.listFaults.failNext(SERVER_C, unavailable(AGENT_4));

    const outcome = await processSyncAgentItem(deps, item({ target: AGENT_4, secretName: 'syncagent-sql-c-agent4' }));

    expect(outcome.kind).toBe('deferred');
    expect(syncAgents.generateCalls).toEqual([]);
    expect(queue.scheduled).toHaveLength(1);
    // Not a refusal: no NotInConfig error line, only the retry's warning
    expect(logger.at('error')).toEqual([]);
  });
});

describe('Function: rotateSyncAgentKeys (requireOnline)', () => {
  const config = (requireOnline: boolean | undefined, agentOption?: boolean): Partial<SyncAgentConfig> => ({
    agents: [{ ...target(AGENT_1, 'sync-agent1'), ...(agentOption === undefined ? {} : { requireOnline: agentOption }) }],
    ...(requireOnline === undefined ? {} : { requireOnline }),
  });

  it('skips an offline agent and says why, without regenerating its key', async () => {
    const { deps, syncAgents, secrets, clock } = setup({ config: config(true) });
    syncAgents.setLiveness(AGENT_1, { state: 'Offline', lastAliveTime: new Date(clock.now().getTime() - 3 * DAY) });

    const { outcomes } = await run(deps);

    expect(outcomes[0]).toEqual({
      kind: 'skipped',
      target: AGENT_1,
      reason: 'the agent is Offline (last alive 2026-02-26T03:00:00.000Z): not rotated (requireOnline)',
    });
    expect(syncAgents.generateCalls).toEqual([]);
    expect(secrets.versions(VAULT, 'sync-agent1')).toHaveLength(0);
  });

  it('skips an agent whose previous key was never picked up, then rotates once it was', async () => {
    // Prepare: rotated a week ago; the agent's host never submitted that key
    const { deps, syncAgents, secrets, clock } = setup({ config: config(undefined, true) });
    const previous = new Date(clock.now().getTime() - 7 * DAY);
    secrets.seed(VAULT, 'sync-agent1', { updatedOn: previous, tags: { rotatedAt: previous.toISOString() } });
    syncAgents.setLiveness(AGENT_1, { state: 'Online', lastAliveTime: new Date(previous.getTime() - HOUR) });
    // Act
    const first = await run(deps, 'run-1');
    syncAgents.setLiveness(AGENT_1, { state: 'Online', lastAliveTime: new Date(previous.getTime() + 10 * 60_000) });
    const second = await run(deps, 'run-2');
    // Assess
    expect(first.outcomes[0]).toMatchObject({ kind: 'skipped' });
    expect(first.outcomes[0]?.kind === 'skipped' && first.outcomes[0].reason).toMatch(
      /^the key stored at .* was not picked up yet \(agent last alive .*\): not rotated \(requireOnline\)$/,
    );
    expect(second.outcomes[0]?.kind).toBe('rotated');
    expect(syncAgents.generateCalls).toEqual([AGENT_1]);
  });

  it('rotates an offline agent when the option is off (the default)', async () => {
    const { deps, syncAgents } = setup({ config: config(undefined) });
    syncAgents.setLiveness(AGENT_1, { state: 'Offline' });

    const { outcomes } = await run(deps);

    expect(outcomes[0]?.kind).toBe('rotated');
  });

  it('lets an agent turn the section default off for itself', async () => {
    const { deps, syncAgents } = setup({ config: config(true, false) });
    syncAgents.setLiveness(AGENT_1, { state: 'Offline' });

    expect((await run(deps)).outcomes[0]?.kind).toBe('rotated');
  });

  it('retries when the agent state cannot be read, without regenerating', async () => {
    const { deps, syncAgents, queue } = setup({ config: config(true) });
    syncAgents.getFaults.failNext(AGENT_1, unavailable(AGENT_1));

    const { outcomes } = await run(deps);

    expect(outcomes[0]?.kind).toBe('deferred');
    expect(syncAgents.generateCalls).toEqual([]);
    expect(queue.scheduled).toHaveLength(1);
  });
});

describe('Function: rotateSyncAgentKeys (retirement of SQL Data Sync)', () => {
  it('rotates with a warning from 31 March 2027', async () => {
    const { deps, clock } = setup();
    clock.set(new Date('2027-03-31T03:00:00Z'));

    const result = await run(deps);

    expect(result.outcomes.map((o) => o.kind)).toEqual(['rotated', 'rotated', 'rotated']);
    expect(result.retirement).toMatchObject({ phase: 'warning', message: expect.stringContaining('30 September 2027') });
  });

  it('refuses to rotate after 30 September 2027 and says why', async () => {
    const { deps, clock, syncAgents, logger } = setup();
    clock.set(new Date('2027-10-03T03:00:00Z'));

    const result = await run(deps);

    expect(result.outcomes).toEqual([]);
    expect(result.retirement.phase).toBe('retired');
    expect(syncAgents.generateCalls).toEqual([]);
    expect(logger.at('warn').map((l) => l.message)).toContain(
      'Sync agent key rotation refused: SQL Data Sync was retired on 30 September 2027: sync-agent keys are no longer rotated. ' +
        'Remove syncAgents from ROTATION_CONFIG once the agents are gone.',
    );
    expect(logger.at('warn').map((l) => l.properties)).toEqual([{ rotationId: 'run-1' }]);
  });

  it('skips a queued retry after the retirement, with no write', async () => {
    const { deps, clock, syncAgents, failures, logger } = setup();
    clock.set(new Date('2027-10-01T00:00:00Z'));
    const retry = agentItem({ firstSeen: '2027-09-30T23:59:00.000Z' });

    expect((await processSyncAgentItem(deps, retry)).kind).toBe('skipped');
    expect(syncAgents.generateCalls).toEqual([]);
    expect(failures.deadLetters).toEqual([]);
    expect(logger.at('warn').map((l) => l.properties)).toEqual([{ agent: AGENT_1, correlationId: 'run-1' }]);
  });
});
