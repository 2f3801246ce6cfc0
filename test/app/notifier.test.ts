import { describe, expect, it } from 'vitest';
import { NotifyingFailureSink } from '../../src/app/notifyingFailureSink.js';
import { notifySyncAgentRun } from '../../src/app/notifySyncAgentRun.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';
import { criticalDriftNotification } from '../../src/app/rotationNotification.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { RecordingNotifier } from '../support/fakes/recordingNotifier.js';

const KEY_ID = 'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef';
const SERVER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a';
const ITEM: ReconcileWorkItem = {
  kind: 'reconcile',
  target: SERVER,
  key: 'https://contoso-tde.vault.azure.net/keys/tde',
  versionHint: '0123456789abcdef0123456789abcdef',
  attempt: 4,
  firstSeen: '2026-01-01T00:00:00.000Z',
  correlationId: 'evt-1',
};

describe('Class: NotifyingFailureSink', () => {
  it('dead-letters through the inner sink, then notifies with the identifiers', async () => {
    // Prepare
    const inner = new FakeFailureSink();
    const notifier = new RecordingNotifier();
    const sink = new NotifyingFailureSink(inner, notifier, new FakeClock(), new CaptureLogger());

    // Act
    await sink.deadLetter(ITEM, 'ServerKeyNotFound', 'the server has no such key');

    // Assess
    expect(inner.deadLetters).toHaveLength(1);
    expect(notifier.sent).toEqual([
      {
        kind: 'deadLetter',
        at: '2026-01-01T00:00:00.000Z',
        workItem: 'reconcile',
        target: SERVER,
        targetKind: 'server',
        reason: 'ServerKeyNotFound',
        description: 'the server has no such key',
        attempt: 4,
        correlationId: 'evt-1',
        keyId: KEY_ID,
        vault: 'contoso-tde',
        key: 'tde',
        version: '0123456789abcdef0123456789abcdef',
      },
    ]);
  });

  it('does not notify when the inner sink fails (the item was not dead-lettered)', async () => {
    const inner = { deadLetter: () => Promise.reject(new Error('queue down')) };
    const notifier = new RecordingNotifier();
    const sink = new NotifyingFailureSink(inner, notifier, new FakeClock(), new CaptureLogger());

    await expect(sink.deadLetter(ITEM, 'X', 'y')).rejects.toThrow('queue down');
    expect(notifier.sent).toEqual([]);
  });

  it('never fails a dead-letter because the notifier failed', async () => {
    // Prepare
    const notifier = new RecordingNotifier();
    notifier.fail = true;
    const logger = new CaptureLogger();
    const sink = new NotifyingFailureSink(new FakeFailureSink(), notifier, new FakeClock(), logger);

    // Act
    await sink.deadLetter(ITEM, 'X', 'y');

    // Assess
    expect(logger.at('warn').map((l) => l.message)).toEqual(['Notification not delivered']);
  });
});

describe('Function: criticalDriftNotification', () => {
  it('names the target, the key version and the code, with the vault and key parsed from the key id', () => {
    const n = criticalDriftNotification({ target: SERVER, keyId: KEY_ID, code: 'AzureKeyVaultKeyDisabled', reason: 'disabled', correlationId: 'timer-1', at: new Date('2026-01-01T00:00:00Z') });

    expect(n).toEqual({
      kind: 'criticalDrift',
      at: '2026-01-01T00:00:00.000Z',
      target: SERVER,
      targetKind: 'server',
      keyId: KEY_ID,
      vault: 'contoso-tde',
      key: 'tde',
      version: '0123456789abcdef0123456789abcdef',
      code: 'AzureKeyVaultKeyDisabled',
      reason: 'disabled',
      correlationId: 'timer-1',
    });
  });
});

describe('Notifications name the kind of target', () => {
  const MI = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi-a';
  const DB = `${SERVER}/databases/sales`;

  it.each([
    [MI, 'managedInstance'],
    [DB, 'database'],
  ])('criticalDrift on %s says %s', (target, targetKind) => {
    const n = criticalDriftNotification({ target, keyId: KEY_ID, code: 'AzureKeyVaultKeyDisabled', reason: 'disabled', correlationId: 'timer-1', at: new Date('2026-01-01T00:00:00Z') });
    expect(n).toMatchObject({ kind: 'criticalDrift', target, targetKind });
  });

  it('a dead-lettered reconcile item of a database says database', async () => {
    // Prepare
    const notifier = new RecordingNotifier();
    const sink = new NotifyingFailureSink(new FakeFailureSink(), notifier, new FakeClock('2026-01-01T00:00:00Z'), new CaptureLogger());

    // Act
    await sink.deadLetter({ ...ITEM, target: DB }, 'PerDBCMKNotSupportedWithLTR', 'Database-level CMK is not supported with LTR');

    // Assess
    expect(notifier.sent[0]).toMatchObject({ kind: 'deadLetter', target: DB, targetKind: 'database', reason: 'PerDBCMKNotSupportedWithLTR' });
  });
});

describe('Function: notifySyncAgentRun', () => {
  it('names agent, secret name and outcome only: no reason text', async () => {
    // Prepare
    const notifier = new RecordingNotifier();
    const agent = `${SERVER}/syncAgents/a1`;

    // Act
    await notifySyncAgentRun(
      notifier,
      { correlationId: 'r', trigger: 'timer', outcomes: [{ kind: 'failed', target: agent, code: 'SecretWriteFailed', reason: 'free text that could say anything' }], secretNames: new Map([[agent.toLowerCase(), 'a1-key']]) },
      { clock: new FakeClock(), logger: new CaptureLogger() },
    );

    // Assess
    expect(notifier.sent[0]).toMatchObject({ agents: [{ agent, secretName: 'a1-key', outcome: 'failed', code: 'SecretWriteFailed' }] });
    expect(JSON.stringify(notifier.sent)).not.toContain('free text');
  });
});
