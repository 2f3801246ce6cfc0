import { describe, expect, it } from 'vitest';
import { resolveSyncAgentForItem, resolveSyncAgents, syncAgentError, type ResolvedSyncAgent } from '../../src/app/resolveSyncAgents.js';
import type { SyncAgentDeps } from '../../src/app/rotateSyncAgentKeys.js';
import type { SyncAgentConfig, SyncAgentTarget } from '../../src/config/appConfig.js';
import { RotationError } from '../../src/domain/errors.js';
import type { SyncAgentWorkItem } from '../../src/domain/workItem.js';
import { ConcurrencyProbe } from '../support/concurrencyProbe.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSyncAgents } from '../support/fakes/fakeSyncAgents.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const RG_SYNC = `/subscriptions/${SUB}/resourceGroups/rg-sync`;
const RG_OTHER = `/subscriptions/${SUB}/resourceGroups/rg-other`;
const server = (rg: string, name: string): string => `${rg}/providers/Microsoft.Sql/servers/${name}`;
const SERVER_A = server(RG_SYNC, 'sql-a');
const SERVER_B = server(RG_SYNC, 'sql-b');
const SERVER_C = server(RG_OTHER, 'sql-c');
const agentId = (serverId: string, name: string): string => `${serverId}/syncAgents/${name}`;
const AGENT_1 = agentId(SERVER_A, 'agent1');
const AGENT_2 = agentId(SERVER_A, 'agent2');
const AGENT_3 = agentId(SERVER_B, 'agent3');
const AGENT_4 = agentId(SERVER_C, 'agent4');
const VAULT = 'https://contoso-sync.vault.azure.net';

const target = (id: string, secretName: string, over: Partial<SyncAgentTarget> = {}): SyncAgentTarget => ({
  id,
  vaultUrl: VAULT,
  secretName,
  ...over,
});

/** Sync agents AGENT_1..4 on servers A, B (rg-sync) and C (rg-other); agent 1 configured; no discovery unless given. */
function setup(options: { agents?: string[]; config?: Partial<SyncAgentConfig>; concurrency?: number } = {}) {
  const syncAgents = new FakeSyncAgents(options.agents ?? [AGENT_1, AGENT_2, AGENT_3, AGENT_4]);
  const servers = new FakeServerDirectory([SERVER_A, SERVER_B, SERVER_C]);
  const logger = new CaptureLogger();
  const syncAgentConfig: SyncAgentConfig = {
    agents: [target(AGENT_1, 'sync-agent1')],
    minIntervalMs: 24 * 3_600_000,
    ...options.config,
  };
  const deps: Pick<SyncAgentDeps, 'syncAgents' | 'servers' | 'config' | 'logger'> = {
    syncAgents,
    servers,
    logger,
    config: { syncAgents: syncAgentConfig, fanOut: { inlineLimit: 10, concurrency: options.concurrency ?? 2 } },
  };
  return { deps, syncAgents, servers, logger };
}

/** A queued item naming an agent, its vault and its secret. */
const item = (agent: string, secretName: string, vaultUrl = VAULT): Pick<SyncAgentWorkItem, 'target' | 'vaultUrl' | 'secretName'> => ({
  target: agent,
  vaultUrl,
  secretName,
});

const configured = (id: string, secretName: string, requireOnline = false): ResolvedSyncAgent => ({
  id,
  vaultUrl: VAULT,
  secretName,
  source: 'config',
  requireOnline,
});

const discovered = (id: string, secretName: string, requireOnline = false): ResolvedSyncAgent => ({
  id,
  vaultUrl: VAULT,
  secretName,
  source: 'discovery',
  requireOnline,
});

/** The error a promise rejects with (the test fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<RotationError> {
  const result = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in result)) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  expect(result.error).toBeInstanceOf(RotationError);
  return result.error as RotationError;
}

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('Function: resolveSyncAgentForItem', () => {
  it('resolves a configured agent as the configuration spells it', async () => {
    // Prepare
    const { deps } = setup();
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_1.toUpperCase(), 'sync-agent1'));
    // Assess
    expect(agent).toEqual(configured(AGENT_1, 'sync-agent1'));
  });

  it('accepts an item whose vault and secret differ from the configuration only by case and trailing slashes', async () => {
    // Prepare
    const { deps } = setup();
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_1, 'SYNC-AGENT1', `${VAULT.toUpperCase()}//`));
    // Assess: the configuration's spelling is what the rotation writes to
    expect(agent).toMatchObject({ vaultUrl: VAULT, secretName: 'sync-agent1' });
  });

  it.each([
    ['neither the agent nor the section sets it', undefined, undefined, false],
    ['the agent sets it', true, undefined, true],
    ['the section sets it', undefined, true, true],
    ['the agent turns the section default off', false, true, false],
    ['the agent turns it on against the section', true, false, true],
  ])('takes requireOnline of a configured agent when %s', async (_when, agentOption, sectionOption, expected) => {
    // Prepare
    const { deps } = setup({
      config: {
        agents: [target(AGENT_1, 'sync-agent1', agentOption === undefined ? {} : { requireOnline: agentOption })],
        ...(sectionOption === undefined ? {} : { requireOnline: sectionOption }),
      },
    });
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_1, 'sync-agent1'));
    // Assess
    expect(agent.requireOnline).toBe(expected);
  });

  it('resolves an agent listed on a discovery server, into the derived secret of the default vault', async () => {
    // Prepare: its server is the second discovery server
    const { deps } = setup({ config: { vaultUrl: VAULT, discovery: { servers: [SERVER_C, SERVER_A], scopes: [] } } });
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_2, 'syncagent-sql-a-agent2'));
    // Assess
    expect(agent).toEqual(discovered(AGENT_2, 'syncagent-sql-a-agent2'));
  });

  it('resolves an agent on a server inside one of the discovery scopes', async () => {
    // Prepare: its scope is the second one
    const { deps } = setup({ config: { vaultUrl: VAULT, discovery: { servers: [], scopes: [RG_OTHER, RG_SYNC] } } });
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_3, 'syncagent-sql-b-agent3'));
    // Assess
    expect(agent).toEqual(discovered(AGENT_3, 'syncagent-sql-b-agent3'));
  });

  it.each([
    [undefined, false],
    [true, true],
    [false, false],
  ])('takes requireOnline of a discovered agent from the section (%s gives %s)', async (sectionOption, expected) => {
    // Prepare
    const { deps } = setup({
      config: {
        vaultUrl: VAULT,
        discovery: { servers: [SERVER_B], scopes: [] },
        ...(sectionOption === undefined ? {} : { requireOnline: sectionOption }),
      },
    });
    // Act
    const agent = await resolveSyncAgentForItem(deps, item(AGENT_3, 'syncagent-sql-b-agent3'));
    // Assess
    expect(agent.requireOnline).toBe(expected);
  });

  const discovery = (servers: string[], scopes: string[] = []): Partial<SyncAgentConfig> => ({ vaultUrl: VAULT, discovery: { servers, scopes } });
  const refused: [string, Partial<SyncAgentConfig>, ReturnType<typeof item>, string[]][] = [
    ['an id that names no sync agent', discovery([SERVER_A]), item(SERVER_A, 'syncagent-sql-a'), ['not a sync agent resource id']],
    [
      'an agent on a server outside the discovery servers',
      discovery([SERVER_C]),
      item(AGENT_3, 'syncagent-sql-b-agent3'),
      ['neither configured nor on a discovery server or scope'],
    ],
    [
      'an agent on a server outside the discovery scopes',
      discovery([], [RG_OTHER]),
      item(AGENT_3, 'syncagent-sql-b-agent3'),
      ['neither configured nor on a discovery server or scope'],
    ],
    [
      'an agent on a discovery server when no default vault is set',
      { discovery: { servers: [SERVER_B], scopes: [] } },
      item(AGENT_3, 'syncagent-sql-b-agent3'),
      ['neither configured nor on a discovery server or scope'],
    ],
    [
      'an agent its discovery server does not list',
      discovery([SERVER_C]),
      item(agentId(SERVER_C, 'ghost'), 'syncagent-sql-c-ghost'),
      ['not found on discovery server', SERVER_C],
    ],
    [
      'a configured agent named with a foreign vault',
      {},
      item(AGENT_1, 'sync-agent1', 'https://attacker.vault.azure.net'),
      ['https://attacker.vault.azure.net', VAULT],
    ],
  ];

  it.each(refused)('refuses %s as NotInConfig, naming the agent and saying why', async (_name, config, queued, says) => {
    // Prepare
    const { deps } = setup({ config });
    // Act
    const error = await rejection(resolveSyncAgentForItem(deps, queued));
    // Assess
    expect(error).toMatchObject({ code: 'NotInConfig', errorClass: 'terminal', details: { agent: queued.target } });
    for (const part of says) expect(error.message).toContain(part);
  });

  it('refuses a discovered agent whose derived secret belongs to a configured agent', async () => {
    // Prepare: agent 1 is configured to write the name agent 2 would derive
    const { deps } = setup({
      config: {
        agents: [target(AGENT_1, 'SyncAgent-Sql-A-Agent2')],
        ...discovery([SERVER_A]),
      },
    });
    // Act
    const error = await rejection(resolveSyncAgentForItem(deps, item(AGENT_2, 'syncagent-sql-a-agent2')));
    // Assess
    expect(error).toMatchObject({ code: 'SecretNameCollision', errorClass: 'terminal', details: { agent: AGENT_2 } });
  });
});

describe('Function: resolveSyncAgents', () => {
  it('lists the configured agents, then every agent of the discovery servers and scopes once, each server listed once', async () => {
    // Prepare: server A is both a discovery server (spelled in capitals) and inside the scope rg-sync
    const { deps, syncAgents } = setup({
      config: { vaultUrl: VAULT, discovery: { servers: [SERVER_C, SERVER_A.toUpperCase()], scopes: [RG_SYNC] } },
    });
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([
      configured(AGENT_1, 'sync-agent1'),
      discovered(AGENT_4, 'syncagent-sql-c-agent4'),
      discovered(AGENT_2, 'syncagent-sql-a-agent2'),
      discovered(AGENT_3, 'syncagent-sql-b-agent3'),
    ]);
    expect(outcomes).toEqual([]);
    expect(syncAgents.listCalls.map((s) => s.toLowerCase()).sort()).toEqual([SERVER_A, SERVER_B, SERVER_C].map((s) => s.toLowerCase()).sort());
  });

  it('looks in the scopes when the section lists no discovery server', async () => {
    // Prepare
    const { deps } = setup({ config: { agents: [], vaultUrl: VAULT, discovery: { servers: [], scopes: [RG_OTHER] } } });
    // Act
    const { agents } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([discovered(AGENT_4, 'syncagent-sql-c-agent4')]);
  });

  it('takes a discovered agent once when a listing returns it twice', async () => {
    // Prepare: a listing that repeats itself (as an overlapping page would)
    const { deps, syncAgents } = setup({ config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_C], scopes: [] } } });
    const list = syncAgents.listSyncAgents.bind(syncAgents);
    syncAgents.listSyncAgents = async (serverId) => {
      const ids = await list(serverId);
      return [...ids, ...ids];
    };
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([discovered(AGENT_4, 'syncagent-sql-c-agent4')]);
    expect(outcomes).toEqual([]);
  });

  it.each([
    [undefined, false],
    [true, true],
    [false, false],
  ])('takes requireOnline of discovered agents from the section (%s gives %s)', async (sectionOption, expected) => {
    // Prepare
    const { deps } = setup({
      config: {
        agents: [],
        vaultUrl: VAULT,
        discovery: { servers: [SERVER_C], scopes: [] },
        ...(sectionOption === undefined ? {} : { requireOnline: sectionOption }),
      },
    });
    // Act
    const { agents } = await resolveSyncAgents(deps);
    // Assess
    expect(agents.map((a) => a.requireOnline)).toEqual([expected]);
  });

  it('lists the discovery servers as many at a time as fanOut.concurrency allows', async () => {
    // Prepare
    const { deps, syncAgents } = setup({
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_A, SERVER_B, SERVER_C], scopes: [] } },
      concurrency: 2,
    });
    const probe = new ConcurrencyProbe();
    const list = syncAgents.listSyncAgents.bind(syncAgents);
    syncAgents.listSyncAgents = (serverId) => probe.around(() => list(serverId));
    // Act
    const { agents } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toHaveLength(4);
    expect(probe.max).toBe(2);
  });

  it('reports a scope whose servers cannot be listed, and still lists the discovery servers', async () => {
    // Prepare
    const { deps, servers, logger } = setup({
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_C], scopes: [RG_SYNC] } },
    });
    servers.faults.failNext(RG_SYNC, new RotationError('AuthorizationFailed', 'terminal', '403 AuthorizationFailed'));
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(outcomes).toEqual([{ kind: 'failed', target: RG_SYNC, code: 'AuthorizationFailed', reason: expect.stringContaining(RG_SYNC) }]);
    expect(logger.at('error').map((l) => l.properties)).toEqual([{ target: RG_SYNC, code: 'AuthorizationFailed' }]);
    expect(agents).toEqual([discovered(AGENT_4, 'syncagent-sql-c-agent4')]);
  });

  it('reports a server whose agents cannot be listed as its only failure, and takes the agents of the others', async () => {
    // Prepare
    const { deps, syncAgents } = setup({
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_A, SERVER_B], scopes: [] } },
    });
    syncAgents.listFaults.failNext(SERVER_A, new RotationError('TooManyRequests', 'retriable', '429 TooManyRequests'));
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(outcomes).toEqual([{ kind: 'failed', target: SERVER_A, code: 'TooManyRequests', reason: expect.stringContaining(SERVER_A) }]);
    expect(agents).toEqual([discovered(AGENT_3, 'syncagent-sql-b-agent3')]);
  });

  it('fails a discovered agent when no default vault is configured, naming the setting to add', async () => {
    // Prepare
    const { deps } = setup({ config: { agents: [], discovery: { servers: [SERVER_C], scopes: [] } } });
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([]);
    expect(outcomes).toEqual([
      { kind: 'failed', target: AGENT_4, code: 'InvalidConfig', reason: expect.stringContaining('syncAgents.vaultUrl') },
    ]);
  });

  it('fails a listed agent whose id is not a valid sync agent id, and takes the others', async () => {
    // Prepare: a name with a space, which no sync agent can have
    const odd = agentId(SERVER_C, 'odd name');
    const { deps } = setup({
      agents: [AGENT_4, odd],
      config: { agents: [], vaultUrl: VAULT, discovery: { servers: [SERVER_C], scopes: [] } },
    });
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([discovered(AGENT_4, 'syncagent-sql-c-agent4')]);
    expect(outcomes).toEqual([{ kind: 'failed', target: odd, code: 'InvalidArmId', reason: expect.stringContaining(odd) }]);
  });

  it('fails every discovered agent whose secret another agent writes, naming the secret and every other writer', async () => {
    // Prepare: sql-a/agent-x and sql-a-agent/x both derive syncagent-sql-a-agent-x, which agent 1 is configured to write
    const AGENT_AX = agentId(SERVER_A, 'agent-x');
    const SERVER_AA = server(RG_SYNC, 'sql-a-agent');
    const AGENT_AAX = agentId(SERVER_AA, 'x');
    const { deps } = setup({
      agents: [AGENT_1, AGENT_AX, AGENT_AAX],
      config: {
        agents: [target(AGENT_1, 'syncagent-sql-a-agent-x')],
        vaultUrl: VAULT,
        discovery: { servers: [SERVER_A, SERVER_AA], scopes: [] },
      },
    });
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents).toEqual([configured(AGENT_1, 'syncagent-sql-a-agent-x')]);
    expect(outcomes.map((o) => [o.kind, o.target, o.kind === 'failed' && o.code])).toEqual([
      ['failed', AGENT_AX, 'SecretNameCollision'],
      ['failed', AGENT_AAX, 'SecretNameCollision'],
    ]);
    const [ax, aax] = outcomes.map((o) => (o.kind === 'failed' ? o.reason : ''));
    expect(ax).toContain('syncagent-sql-a-agent-x');
    expect(ax).toContain(`${AGENT_1}, ${AGENT_AAX}`);
    expect(occurrences(ax ?? '', AGENT_AX)).toBe(1);
    expect(aax).toContain(`${AGENT_1}, ${AGENT_AX}`);
    expect(occurrences(aax ?? '', AGENT_AAX)).toBe(1);
  });

  it.each([
    ['the configured agent', { agents: [target(AGENT_1, 'syncagent-sql-c-agent4', { vaultUrl: `${VAULT}//` })], vaultUrl: VAULT }],
    ['the default vault', { agents: [target(AGENT_1, 'syncagent-sql-c-agent4')], vaultUrl: `${VAULT}//` }],
  ])('sees the collision when the vault of %s ends in slashes', async (_which, config) => {
    // Prepare
    const { deps } = setup({ config: { ...config, discovery: { servers: [SERVER_C], scopes: [] } } });
    // Act
    const { agents, outcomes } = await resolveSyncAgents(deps);
    // Assess
    expect(agents.map((a) => a.id)).toEqual([AGENT_1]);
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'failed', target: AGENT_4, code: 'SecretNameCollision' })]);
  });
});

describe('Function: syncAgentError', () => {
  it('passes a RotationError through unchanged', () => {
    // Prepare
    const error = new RotationError('TooManyRequests', 'retriable', '429');
    // Act / Assess
    expect(syncAgentError(error, AGENT_1)).toBe(error);
  });

  it('reports any other error as a terminal UnexpectedError naming the target and the error, without its cause', () => {
    // Prepare
    const bug = new TypeError('x is undefined', { cause: new Error('inner') });
    // Act
    const error = syncAgentError(bug, AGENT_1);
    // Assess
    expect(error).toMatchObject({ code: 'UnexpectedError', errorClass: 'terminal' });
    expect(error.cause).toBeUndefined();
    expect(error.message).toContain(AGENT_1);
    expect(error.message).toContain('TypeError: x is undefined');
  });

  it('says a non-error was thrown, without repeating what it was', () => {
    // Act
    const error = syncAgentError('a thrown string', AGENT_1);
    // Assess
    expect(error).toMatchObject({ code: 'UnexpectedError', errorClass: 'terminal' });
    expect(error.message).toContain('non-error thrown');
    expect(error.message).not.toContain('a thrown string');
  });
});
