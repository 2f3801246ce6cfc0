import type { ServiceBusMessage } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import { ServiceBusFailureSink, ServiceBusWorkQueue, type MessageScheduler } from '../../src/azure/serviceBusWorkQueue.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';
import { FakeClock } from '../support/fakes/fakeClock.js';

/** Records scheduleMessages calls the way the real sender receives them. */
class RecordingSender implements MessageScheduler {
  readonly calls: { messages: ServiceBusMessage[]; at: Date }[] = [];
  scheduleMessages(messages: ServiceBusMessage | ServiceBusMessage[], at: Date): Promise<never[]> {
    this.calls.push({ messages: Array.isArray(messages) ? messages : [messages], at });
    return Promise.resolve([]);
  }
}

const item = (attempt: number, target = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s1'): ReconcileWorkItem => ({
  kind: 'reconcile',
  target,
  key: 'https://contoso.vault.azure.net/keys/tde',
  versionHint: 'a'.repeat(32),
  attempt,
  firstSeen: '2026-01-01T00:00:00.000Z',
  correlationId: 'evt-123',
});

describe('ServiceBusWorkQueue', () => {
  it('schedules each item as a JSON message at the requested time', async () => {
    // Prepare
    const sender = new RecordingSender();
    const queue = new ServiceBusWorkQueue(sender, new FakeClock());
    const at = new Date('2026-01-01T00:00:07Z');

    // Act
    await queue.schedule([item(2)], at);

    // Assess
    expect(sender.calls).toHaveLength(1);
    expect(sender.calls[0]?.at).toEqual(at);
    const m = sender.calls[0]?.messages[0];
    expect(m?.body).toEqual(item(2));
    expect(m).toMatchObject({ subject: 'reconcile', contentType: 'application/json', correlationId: 'evt-123' });
    expect(m?.sessionId).toBe(item(2).target.toLowerCase());
    expect(m?.applicationProperties).toMatchObject({ kind: 'reconcile', attempt: 2 });
  });

  it('derives the same messageId for the same item and attempt, and another one for the next attempt', async () => {
    // Prepare
    const sender = new RecordingSender();
    const queue = new ServiceBusWorkQueue(sender, new FakeClock());

    // Act
    await queue.schedule([item(1)]);
    await queue.schedule([item(1)]);
    await queue.schedule([item(2)]);

    // Assess
    const ids = sender.calls.map((c) => c.messages[0]?.messageId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('schedules "now" with the clock time when no time is given', async () => {
    // Prepare
    const sender = new RecordingSender();
    const clock = new FakeClock('2026-02-02T02:02:02Z');

    // Act
    await new ServiceBusWorkQueue(sender, clock).schedule([item(1)]);

    // Assess
    expect(sender.calls[0]?.at).toEqual(clock.now());
  });

  it('splits large fan-outs into calls of at most 100 messages', async () => {
    // Prepare
    const sender = new RecordingSender();
    const items = Array.from({ length: 250 }, (_, i) => item(1, `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s${i}`));

    // Act
    await new ServiceBusWorkQueue(sender, new FakeClock()).schedule(items);

    // Assess
    expect(sender.calls.map((c) => c.messages.length)).toEqual([100, 100, 50]);
    expect(new Set(sender.calls.flatMap((c) => c.messages.map((m) => m.messageId))).size).toBe(250);
  });
});

describe('ServiceBusFailureSink', () => {
  it('sends the dead item with its reason and description as properties', async () => {
    // Prepare
    const sender = new RecordingSender();

    // Act
    await new ServiceBusFailureSink(sender, new FakeClock()).deadLetter(item(10), 'MaxAttemptsExceeded', 'Gave up after 10 attempts');

    // Assess
    const m = sender.calls[0]?.messages[0];
    expect(m?.body).toEqual(item(10));
    expect(m?.applicationProperties).toMatchObject({
      deadLetterReason: 'MaxAttemptsExceeded',
      deadLetterErrorDescription: 'Gave up after 10 attempts',
    });
    expect(m?.subject).toBe('reconcile.failed');
    expect(m?.sessionId).toBeUndefined();
  });
});
