import { describe, expect, it } from 'vitest';
import { checkSyncAgentHandoffs, type HandoffDeps } from '../../src/app/checkSyncAgentHandoffs.js';
import { LogMetrics } from '../../src/app/metrics.js';
import type { Notifier } from '../../src/app/ports.js';
import { rotateSyncAgentKeys, type SyncAgentDeps } from '../../src/app/rotateSyncAgentKeys.js';
import type { SyncAgentConfig } from '../../src/config/appConfig.js';
import { RotationError } from '../../src/domain/errors.js';
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
    expect(early.statuses[0]).toMatchObject({ agentState: 'Offline', rotatedAt: rotatedAt.toISOString(), rotationId: 'run-1' });
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
      agents: [{ agent: AGENT_1, secretName: 'sync-agent1', outcome: 'failed', code: 'HandoffOverdue' }],
    });
    expect(outcomeLines(logger).map((l) => l.properties)).toEqual([
      expect.objectContaining({ agent: AGENT_1, outcome: 'failed', code: 'HandoffOverdue', handoff: 'overdue', success: false }),
    ]);
    expect(logger.at('error').filter((l) => l.message.includes('key handoff OVERDUE'))).toHaveLength(1);
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
    const { clock, syncAgents, rotate, check, notifier } = setup();
    await rotate();
    syncAgents.setLiveness(AGENT_2, { state: 'Offline' });
    syncAgents.getFaults.failNext(AGENT_1, new RotationError('TooManyRequests', 'retriable', '429'));
    clock.advance(31 * MINUTE);

    const result = await check();

    expect(result.statuses[0]?.error).toMatchObject({ code: 'TooManyRequests' });
    expect(result.alarms).toEqual([AGENT_2]);
    expect(notifier.sent).toHaveLength(1);
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
