/**
 * The key handoff end to end with the real SDK clients against the emulator: rotate (ArmSyncAgents +
 * KeyVaultSecretStore), then the periodic check reads the agent and the secret, follows the pickup, and
 * records the overdue alarm on the secret version. The emulator's clock and the app's clock move together;
 * nothing sleeps.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import { checkSyncAgentHandoffs, type HandoffCheckResult } from '../../src/app/checkSyncAgentHandoffs.js';
import { LogMetrics } from '../../src/app/metrics.js';
import { rotateSyncAgentKeys, type SyncAgentDeps } from '../../src/app/rotateSyncAgentKeys.js';
import { ArmSqlServerKeys } from '../../src/azure/armSqlServerKeys.js';
import { ArmSyncAgents } from '../../src/azure/armSyncAgents.js';
import { KeyVaultSecretStore } from '../../src/azure/keyVaultSecretStore.js';
import type { SyncAgentConfig } from '../../src/config/appConfig.js';
import { submitCurrentKey, type SyncAgentState } from '@sql-key-rotation/local-azure';
import { CaptureLogger, safeStringify } from '../support/fakes/captureLogger.js';
import { fakeRetryDeps } from '../support/fakes/fakeRetryDeps.js';
import { noRetrySqlClients, useTestEmulator } from '../support/emulatorFixture.js';
import { testEstateWith, testSyncAgentId } from '../support/testEstates.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, TEST_SYNC_VAULT, TEST_SYNC_VAULT_URL } from '../support/emulator.js';
import { RecordingNotifier } from '../support/fakes/recordingNotifier.js';

const PICKS_UP = testSyncAgentId('sql-primary', 'picks-up');
const NEVER = testSyncAgentId('sql-primary', 'never');
const MINUTE = 60_000;

describe('Use case: sync-agent key handoff (against the emulator)', () => {
  let offsetMs = 0;
  const emulator = useTestEmulator({
    estate: testEstateWith({ servers: { 'sql-primary': { syncAgents: [{ name: 'picks-up', pickupAfterSeconds: 600 }, { name: 'never' }] } } }),
    clock: () => Date.now() + offsetMs,
  });
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const advance = (ms: number): void => {
    offsetMs += ms;
  };
  const credential = new DefaultAzureCredential();
  let logger: CaptureLogger;
  let notifier: RecordingNotifier;
  const agentState = (name: string): SyncAgentState => emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')!.syncAgents.get(name)!;
  const latest = (name: string) => emulator.state.vault(TEST_SYNC_VAULT)?.secrets.get(name)?.versions.at(-1);

  function deps(config: Partial<SyncAgentConfig> = {}) {
    const sql = noRetrySqlClients(credential);
    const d: SyncAgentDeps = {
      syncAgents: new ArmSyncAgents(sql),
      secrets: new KeyVaultSecretStore(credential, { retryOptions: { maxRetries: 0 } }),
      servers: new ArmSqlServerKeys(sql),
      ...fakeRetryDeps({ clock, logger, policy: { baseMs: 1_000, capMs: 10_000, maxAttempts: 3, orderDelayMs: 1_000, orderMaxAttempts: 3 } }),
      config: {
        syncAgents: {
          agents: [
            { id: PICKS_UP, vaultUrl: TEST_SYNC_VAULT_URL, secretName: 'picks-up-key' },
            { id: NEVER, vaultUrl: TEST_SYNC_VAULT_URL, secretName: 'never-key' },
          ],
          minIntervalMs: 60 * MINUTE,
          ...config,
        },
        fanOut: { inlineLimit: 10, concurrency: 2 },
      },
    };
    return { ...d, notifier, metrics: new LogMetrics(logger) };
  }

  beforeEach(() => {
    logger = new CaptureLogger();
    notifier = new RecordingNotifier();
    emulator.state.vault(TEST_SYNC_VAULT)?.secrets.clear();
    // Three hours between tests: each starts after the minimum interval, with the agents in a known state. (The
    // emulator's tokens live 24 h and the SDK caches them by the real clock: the offset stays well below that.)
    advance(180 * MINUTE);
    for (const name of ['picks-up', 'never']) submitCurrentKey(agentState(name), Date.now() + offsetMs);
  });

  it('follows one agent from awaiting pickup to back online, and raises one alarm for the other, once', async () => {
    // Prepare
    const d = deps();
    await rotateSyncAgentKeys(d, { rotationId: 'run-1', now: clock.now() });
    // Act: ticks every 5 minutes for an hour
    const ticks: HandoffCheckResult[] = [];
    for (let i = 1; i <= 12; i++) {
      advance(5 * MINUTE);
      ticks.push(await checkSyncAgentHandoffs(d, { correlationId: `tick-${i}` }));
    }
    // Assess: picks-up awaits pickup, then is back online after its host's 600 s
    const handoffOf = (i: number, agent: string) => ticks[i]!.statuses.find((s) => s.agent === agent)?.handoff?.kind;
    expect(handoffOf(0, PICKS_UP)).toBe('awaitingPickup');
    expect(ticks[0]!.statuses.find((s) => s.agent === PICKS_UP)).toMatchObject({ agentState: 'Offline', rotationId: 'run-1' });
    expect(ticks.slice(1).map((t) => t.statuses.find((s) => s.agent === PICKS_UP)?.handoff?.kind)).toEqual(Array(11).fill('backOnline'));
    expect(ticks[1]!.statuses.find((s) => s.agent === PICKS_UP)).toMatchObject({ agentState: 'Online', rotationId: 'run-1' });
    expect(handoffOf(0, NEVER)).toBe('awaitingPickup');
    expect(ticks[0]!.statuses.find((s) => s.agent === NEVER)).toMatchObject({ agentState: 'Offline' });
    expect(handoffOf(5, NEVER)).toBe('overdue');
    // ...one alarm, at the first tick past 30 minutes, recorded on the secret version
    expect(ticks.map((t) => t.alarms)).toEqual([[], [], [], [], [], [NEVER], [], [], [], [], [], []]);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({ agents: [{ agent: NEVER, secretName: 'never-key', outcome: 'failed', code: 'HandoffOverdue' }] });
    expect(latest('never-key')?.tags).toMatchObject({ handoffAlarmAt: expect.any(String), rotationId: 'run-1', syncAgentId: NEVER });
    expect(latest('picks-up-key')?.tags?.['handoffAlarmAt']).toBeUndefined();
    expect(logger.lines.filter((l) => l.message === 'SYNC_AGENT_OUTCOME')).toHaveLength(1);
    // ...and no key anywhere
    const out = [logger.text(), safeStringify(notifier.sent), safeStringify(ticks)].join('\n');
    for (const name of ['picks-up', 'never']) expect(out).not.toContain(agentState(name).currentKey!);
  });

  it('with requireOnline, skips the agent whose previous key was never picked up, and rotates the other', async () => {
    // Prepare: a first rotation; "never" stays offline
    const d = deps({ requireOnline: true, minIntervalMs: 60 * MINUTE });
    await rotateSyncAgentKeys(d, { rotationId: 'run-1', now: clock.now() });
    const generations = agentState('never').keyGeneration;
    // Act: the next run, two hours later
    advance(120 * MINUTE);
    const { outcomes } = await rotateSyncAgentKeys(d, { rotationId: 'run-2', now: clock.now() });
    // Assess
    expect(outcomes.find((o) => o.target === PICKS_UP), logger.text()).toMatchObject({ kind: 'rotated' });
    const skipped = outcomes.find((o) => o.target === NEVER);
    expect(skipped?.kind).toBe('skipped');
    expect(skipped?.kind === 'skipped' && skipped.reason).toMatch(/^the agent is Offline \(last alive .*\): not rotated \(requireOnline\)$/);
    expect(agentState('never').keyGeneration).toBe(generations);
    expect(latest('never-key')?.tags?.['rotationId']).toBe('run-1');
  });
});
