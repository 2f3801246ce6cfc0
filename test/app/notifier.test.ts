import { describe, expect, it } from 'vitest';
import {
  NotifyingFailureSink,
  notifyEventResult,
  notifySyncAgentRun,
  type Notifier,
  type RotationNotification,
} from '../../src/app/notifier.js';
import type { ServerKeyWorkItem } from '../../src/domain/workItem.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';

const KEY_ID = 'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef';
const SERVER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a';
const ITEM: ServerKeyWorkItem = {
  kind: 'serverKey',
  target: SERVER,
  keyId: KEY_ID,
  version: '0123456789abcdef0123456789abcdef',
  switchProtector: true,
  attempt: 4,
  firstSeen: '2026-01-01T00:00:00.000Z',
  correlationId: 'evt-1',
};

class RecordingNotifier implements Notifier {
  readonly sent: RotationNotification[] = [];
  fail = false;
  notify(n: RotationNotification): Promise<void> {
    if (this.fail) return Promise.reject(new Error('boom'));
    this.sent.push(n);
    return Promise.resolve();
  }
}

describe('Class: NotifyingFailureSink', () => {
  it('dead-letters through the inner sink, then notifies with the identifiers', async () => {
    const inner = new FakeFailureSink();
    const notifier = new RecordingNotifier();
    const sink = new NotifyingFailureSink(inner, notifier, new FakeClock(), new CaptureLogger());

    await sink.deadLetter(ITEM, 'ServerKeyNotFound', 'the server has no such key');

    expect(inner.deadLetters).toHaveLength(1);
    expect(notifier.sent).toEqual([
      {
        kind: 'deadLetter',
        at: '2026-01-01T00:00:00.000Z',
        workItem: 'serverKey',
        target: SERVER,
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
    const notifier = new RecordingNotifier();
    notifier.fail = true;
    const logger = new CaptureLogger();
    const sink = new NotifyingFailureSink(new FakeFailureSink(), notifier, new FakeClock(), logger);

    await sink.deadLetter(ITEM, 'X', 'y');

    expect(logger.at('warn').map((l) => l.message)).toEqual(['Notification not delivered']);
  });
});

describe('Function: notifyEventResult', () => {
  const event = { eventId: 'evt-1', key: { ...parseKeyId(KEY_ID), version: '0123456789abcdef0123456789abcdef' } };
  const deps = { clock: new FakeClock(), logger: new CaptureLogger() };

  it('notifies a processed event with each server outcome, and nothing for an ignored one', async () => {
    const notifier = new RecordingNotifier();

    await notifyEventResult(notifier, event, { kind: 'ignored', reason: 'not configured' }, deps);
    await notifyEventResult(notifier, event, { kind: 'processed', mode: 'inline', outcomes: [{ kind: 'rotated', target: SERVER, detail: 'done' }] }, deps);

    expect(notifier.sent).toMatchObject([
      { kind: 'rotationCompleted', trigger: 'event', correlationId: 'evt-1', vault: 'contoso-tde', servers: [{ server: SERVER, outcome: 'rotated', detail: 'done' }] },
    ]);
  });
});

describe('Function: notifySyncAgentRun', () => {
  it('names agent, secret name and outcome only: no reason text', async () => {
    const notifier = new RecordingNotifier();
    const agent = `${SERVER}/syncAgents/a1`;

    await notifySyncAgentRun(
      notifier,
      { correlationId: 'r', trigger: 'timer', outcomes: [{ kind: 'failed', target: agent, code: 'SecretWriteFailed', reason: 'free text that could say anything' }], secretNames: new Map([[agent.toLowerCase(), 'a1-key']]) },
      { clock: new FakeClock(), logger: new CaptureLogger() },
    );

    expect(notifier.sent[0]).toMatchObject({ agents: [{ agent, secretName: 'a1-key', outcome: 'failed', code: 'SecretWriteFailed' }] });
    expect(JSON.stringify(notifier.sent)).not.toContain('free text');
  });
});
