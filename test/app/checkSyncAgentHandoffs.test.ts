import { describe, expect, it } from 'vitest';
import { checkSyncAgentHandoffs, type HandoffDeps } from '../../src/app/checkSyncAgentHandoffs.js';
import { LogMetrics } from '../../src/app/metrics.js';
import type { Notifier, SecretStore } from '../../src/app/ports.js';
import { rotateSyncAgentKeys, type SyncAgentDeps } from '../../src/app/rotateSyncAgentKeys.js';
import type { SyncAgentConfig } from '../../src/config/appConfig.js';
import { RotationError } from '../../src/domain/errors.js';
import { ConcurrencyProbe } from '../support/concurrencyProbe.js';
import { CaptureLogger, safeStringify } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeSecretStore } from '../support/fakes/fakeSecretStore.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSyncAgents } from '../support/fakes/fakeSyncAgents.js';
import { fakeRetryDeps } from '../support/fakes/fakeRetryDeps.js';
import { expectNoSecretIn } from '../support/secrecy.js';
import { RecordingNotifier } from '../support/fakes/recordingNotifier.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg-sync/providers/Microsoft.Sql/servers/sql-a`;
const AGENT_1 = `${SERVER}/syncAgents/agent1`;
const AGENT_2 = `${SERVER}/syncAgents/agent2`;
const VAULT = 'https://contoso-sync.vault.azure.net';
const MINUTE = 60_000;

function setup(config: Partial<SyncAgentConfig> = {}) {
  const clock = new FakeClock('2026-03-01T03:00:00Z');
  const syncAgents = new FakeSyncAgents([AGENT_1, AGENT_2]);
  const secrets = new FakeSecretStore(clock);
  const logger = new CaptureLogger();
  const notifier = new RecordingNotifier();
  const syncAgentConfig: SyncAgentConfig = {
    agents: [
      { id: AGENT_1, vaultUrl: VAULT, secretName: 'sync-agent1' },
      { id: AGENT_2, vaultUrl: VAULT, secretName: 'sync-agent2' },
    ],
    minIntervalMs: 24 * 60 * MINUTE,
    ...config,
  };
  const rotateDeps: SyncAgentDeps = {
    syncAgents,
    secrets,
    servers: new FakeServerDirectory([SERVER]),
    ...fakeRetryDeps({ clock, logger }),
    config: { syncAgents: syncAgentConfig, fanOut: { inlineLimit: 10, concurrency: 2 } },
  };
  const deps: HandoffDeps & { notifier: Notifier; metrics: LogMetrics } = { ...rotateDeps, notifier, metrics: new LogMetrics(logger) };
  const rotate = () => rotateSyncAgentKeys(rotateDeps, { rotationId: 'run-1', now: clock.now() });
  const check = (id = 'tick') => checkSyncAgentHandoffs(deps, { correlationId: id });
  return { deps, clock, syncAgents, secrets, logger, notifier, rotate, check };
}

const outcomeLines = (logger: CaptureLogger) => logger.lines.filter((l) => l.message === 'SYNC_AGENT_OUTCOME');

describe('Function: checkSyncAgentHandoffs', () => {
  it('follows a rotation from awaiting pickup to back online, and raises no alarm', async () => {
    // Prepare: both agents rotated; they drop at once
    const { clock, syncAgents, rotate, check, notifier } = setup();
    await rotate();
    const rotatedAt = clock.now();
    for (const a of [AGENT_1, AGENT_2]) syncAgents.setLiveness(a, { state: 'Offline', lastAliveTime: rotatedAt });
    // Act: a tick 5 minutes later, then agent1's host submits the key, then a tick past the window
    clock.advance(5 * MINUTE);
    const early = await check();
    syncAgents.setLiveness(AGENT_1, { state: 'Online', lastAliveTime: new Date(clock.now().getTime() + MINUTE) });
    clock.advance(10 * MINUTE);
    const later = await check();
    // Assess
    expect(early.statuses.map((s) => s.handoff?.kind)).toEqual(['awaitingPickup', 'awaitingPickup']);
    expect(early.statuses[0]).toMatchObject({
      agentState: 'Offline',
      rotatedAt: rotatedAt.toISOString(),
      updatedOn: rotatedAt.toISOString(),
      rotationId: 'run-1',
      lastAliveTime: rotatedAt.toISOString(),
    });
    expect(early.statuses[0]?.secretVersion).toMatch(/^[0-9a-f]{32}$/);
    expect(later.statuses[0]?.handoff).toEqual({ kind: 'backOnline', rotatedAt, backAt: new Date(rotatedAt.getTime() + 6 * MINUTE) });
    expect(later.statuses[1]?.handoff?.kind).toBe('awaitingPickup');
    expect(notifier.sent).toEqual([]);
  });

  it('raises an overdue handoff once per rotation: one notification, one outcome line, one error line', async () => {
    // Prepare
    const { clock, syncAgents, secrets, rotate, check, notifier, logger } = setup({ handoffWindowMs: 30 * MINUTE });
    await rotate();
    syncAgents.setLiveness(AGENT_1, { state: 'Offline', lastAliveTime: clock.now() });
    syncAgents.setLiveness(AGENT_2, { state: 'Online', lastAliveTime: new Date(clock.now().getTime() + 5 * MINUTE) });
    // Act: ticks every 10 minutes for two hours
    const alarms: string[] = [];
    for (let i = 0; i < 12; i++) {
      clock.advance(10 * MINUTE);
      alarms.push(...(await check(`tick-${i}`)).alarms);
    }
    // Assess
    expect(alarms).toEqual([AGENT_1]);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({
      kind: 'syncAgentRotation',
      correlationId: 'tick-2',
      trigger: 'timer',
      agents: [{ agent: AGENT_1, secretName: 'sync-agent1', outcome: 'failed', code: 'HandoffOverdue' }],
      summary: { rotated: 0, skipped: 0, deferred: 0, failed: 1 },
    });
    const version = secrets.latest(VAULT, 'sync-agent1')?.version;
    expect(version).toMatch(/^[0-9a-f]{32}$/);
    expect(outcomeLines(logger).map((l) => l.properties)).toEqual([
      expect.objectContaining({ agent: AGENT_1, outcome: 'failed', code: 'HandoffOverdue', handoff: 'overdue', success: false, secretVersion: version }),
    ]);
    const alarmLines = logger.at('error').filter((l) => l.message.includes('key handoff OVERDUE'));
    expect(alarmLines.map((l) => l.properties)).toEqual([
      {
        agent: AGENT_1,
        vaultUrl: VAULT,
        secretName: 'sync-agent1',
        secretVersion: version,
        rotatedAt: '2026-03-01T03:00:00.000Z',
        agentState: 'Offline',
        lastAliveTime: '2026-03-01T03:00:00.000Z',
        handoff: 'overdue',
        correlationId: 'tick-2',
      },
    ]);
    expect(secrets.latest(VAULT, 'sync-agent1')?.tags).toMatchObject({ handoffAlarmAt: '2026-03-01T03:30:00.000Z', rotationId: 'run-1' });
    // the alarm tag moved updatedOn, not the rotation time: the next run still sees a key rotated at 03:00
    expect(secrets.latest(VAULT, 'sync-agent1')?.tags['rotatedAt']).toBe('2026-03-01T03:00:00.000Z');
  });

  it('raises the alarm again after the next rotation, if that one is not picked up either', async () => {
    const { clock, syncAgents, rotate, check, notifier } = setup();
    syncAgents.setLiveness(AGENT_1, { state: 'Offline', lastAliveTime: clock.now() });
    syncAgents.setLiveness(AGENT_2, { state: 'Offline', lastAliveTime: clock.now() });
    await rotate();
    clock.advance(40 * MINUTE);
    await check();
    await check();

    clock.advance(7 * 24 * 60 * MINUTE);
    await rotate();
    clock.advance(40 * MINUTE);
    await check();
    await check();

    expect(notifier.sent.flatMap((n) => (n.kind === 'syncAgentRotation' ? n.agents.map((a) => a.agent) : []))).toEqual([
      AGENT_1,
      AGENT_2,
      AGENT_1,
      AGENT_2,
    ]);
  });

  it('raises the alarm even when it cannot be recorded, and warns that it may repeat', async () => {
    const { clock, syncAgents, secrets, rotate, check, notifier, logger } = setup({
      agents: [{ id: AGENT_1, vaultUrl: VAULT, secretName: 'sync-agent1' }],
    });
    await rotate();
    syncAgents.setLiveness(AGENT_1, { state: 'Offline', lastAliveTime: clock.now() });
    secrets.updateFaults.failNext(FakeSecretStore.target(VAULT, 'sync-agent1'), new RotationError('Forbidden', 'terminal', '403'));
    clock.advance(31 * MINUTE);

    await check();

    expect(notifier.sent).toHaveLength(1);
    expect(logger.at('warn').some((l) => l.message.includes('could not be recorded (Forbidden): it may repeat'))).toBe(true);
  });

  it('reports an agent that cannot be read and checks the others', async () => {
    const { clock, syncAgents, rotate, check, notifier, logger } = setup();
    await rotate();
    syncAgents.setLiveness(AGENT_2, { state: 'Offline' });
    syncAgents.getFaults.failNext(AGENT_1, new RotationError('TooManyRequests', 'retriable', '429'));
    clock.advance(31 * MINUTE);

    const result = await check();

    expect(result.statuses[0]?.error).toMatchObject({ code: 'TooManyRequests' });
    expect(result.alarms).toEqual([AGENT_2]);
    expect(notifier.sent).toHaveLength(1);
    expect(logger.at('warn').map((l) => l.properties)).toEqual([{ agent: AGENT_1, secretName: 'sync-agent1', code: 'TooManyRequests' }]);
  });

  it('reports an agent with no secret yet as not rotated, with what ARM says of it, and raises no alarm', async () => {
    // Prepare: nothing rotated yet
    const { clock, syncAgents, secrets, check, notifier } = setup();
    const lastAlive = new Date(clock.now().getTime() - 5 * MINUTE);
    syncAgents.setLiveness(AGENT_1, { state: 'Online', lastAliveTime: lastAlive });
    // Act
    const result = await check();
    // Assess
    expect(result.statuses[0]).toStrictEqual({
      agent: AGENT_1,
      source: 'config',
      vaultUrl: VAULT,
      secretName: 'sync-agent1',
      agentState: 'Online',
      lastAliveTime: lastAlive.toISOString(),
      handoff: { kind: 'notRotated' },
    });
    expect(result.statuses[1]).toStrictEqual({
      agent: AGENT_2,
      source: 'config',
      vaultUrl: VAULT,
      secretName: 'sync-agent2',
      agentState: 'Online',
      handoff: { kind: 'notRotated' },
    });
    expect(result.alarms).toEqual([]);
    expect(secrets.tagUpdates).toEqual([]);
    expect(notifier.sent).toEqual([]);
  });

  it('gives the agent the configured handoff window before the alarm', async () => {
    // Prepare: a one-hour window
    const { clock, syncAgents, rotate, check } = setup({ handoffWindowMs: 60 * MINUTE });
    await rotate();
    for (const a of [AGENT_1, AGENT_2]) syncAgents.setLiveness(a, { state: 'Offline', lastAliveTime: clock.now() });
    // Act
    clock.advance(45 * MINUTE);
    const within = await check('tick-45');
    clock.advance(16 * MINUTE);
    const after = await check('tick-61');
    // Assess
    expect(within.statuses.map((s) => s.handoff?.kind)).toEqual(['awaitingPickup', 'awaitingPickup']);
    expect(within.alarms).toEqual([]);
    expect(after.alarms).toEqual([AGENT_1, AGENT_2]);
  });

  it('reads the agents as many at a time as fanOut.concurrency allows', async () => {
    // Prepare
    const { syncAgents, rotate, check } = setup();
    await rotate();
    const probe = new ConcurrencyProbe();
    const get = syncAgents.getSyncAgent.bind(syncAgents);
    syncAgents.getSyncAgent = (id) => probe.around(() => get(id));
    // Act
    const result = await check();
    // Assess
    expect(result.statuses).toHaveLength(2);
    expect(probe.max).toBe(2);
  });

  it('raises the alarm without recording it when the vault reports no secret version, and warns that it may repeat', async () => {
    // Prepare: a store whose properties carry no version id
    const { deps, clock, syncAgents, secrets, rotate, notifier, logger } = setup({
      agents: [{ id: AGENT_1, vaultUrl: VAULT, secretName: 'sync-agent1' }],
    });
    await rotate();
    syncAgents.setLiveness(AGENT_1, { state: 'Offline', lastAliveTime: clock.now() });
    const tagWrites: (string | undefined)[] = [];
    const versionless: SecretStore = {
      getSecretInfo: async (v, n) => {
        const info = await secrets.getSecretInfo(v, n);
        if (info === undefined) return undefined;
        const { version: _version, ...rest } = info;
        return rest;
      },
      setSecret: (v, n, value, o) => secrets.setSecret(v, n, value, o),
      updateSecretTags: (v, n, version, tags) => {
        tagWrites.push(version);
        return secrets.updateSecretTags(v, n, version, tags);
      },
    };
    clock.advance(31 * MINUTE);
    // Act
    const result = await checkSyncAgentHandoffs({ ...deps, secrets: versionless }, { correlationId: 'tick' });
    // Assess
    expect(result.alarms).toEqual([AGENT_1]);
    expect(notifier.sent).toHaveLength(1);
    expect(tagWrites).toEqual([]);
    expect(logger.at('warn').map((l) => l.properties)).toEqual([
      expect.objectContaining({ agent: AGENT_1, secretName: 'sync-agent1', secretVersion: undefined, handoff: 'overdue' }),
    ]);
    const [outcome] = outcomeLines(logger).map((l) => l.properties ?? {});
    expect(outcome).toMatchObject({ agent: AGENT_1, code: 'HandoffOverdue' });
    expect(Object.keys(outcome ?? {})).not.toContain('secretVersion');
  });

  it('reports an agent whose read fails unexpectedly as UnexpectedError, naming only the kind of error', async () => {
    // Prepare: a bug in the adapter, then something that is not even an Error
    const { syncAgents, rotate, check } = setup();
    await rotate();
    syncAgents.getFaults.failNext(AGENT_1, new TypeError('details of https://contoso-sync.vault.azure.net/secrets/sync-agent1'));
    const get = syncAgents.getSyncAgent.bind(syncAgents);
    syncAgents.getSyncAgent = (id) =>
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what a careless dependency may throw
      id === AGENT_2 ? Promise.reject('a thrown string') : get(id);
    // Act
    const result = await check();
    // Assess
    expect(result.statuses.map((s) => s.error)).toEqual([
      { code: 'UnexpectedError', reason: 'TypeError' },
      { code: 'UnexpectedError', reason: 'non-error thrown' },
    ]);
  });

  it('puts no key in any output', async () => {
    const { clock, syncAgents, rotate, check, notifier, logger } = setup();
    await rotate();
    for (const a of [AGENT_1, AGENT_2]) syncAgents.setLiveness(a, { state: 'Offline' });
    clock.advance(31 * MINUTE);

    const result = await check();

    const everything = [logger.text(), safeStringify(notifier.sent), safeStringify(result)].join('\n');
    expect(syncAgents.generatedKeys).toHaveLength(2);
    expectNoSecretIn(everything, syncAgents.generatedKeys);
  });
});
