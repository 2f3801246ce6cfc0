import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageIdFor } from '../../../src/app/queueMessage.js';
import type { ReconcileWorkItem } from '../../../src/domain/workItem.js';
import {
  LocalDurableQueue,
  MAX_DELIVERY_COUNT_EXCEEDED,
  QueueDirectoryInUseError,
} from '../../../src/local/queue/localDurableQueue.js';
import { leaveMessageFile, ManualClock, reconcileItem, T0 } from './queueFixtures.js';

describe('Class: LocalDurableQueue', () => {
  let dir: string;
  let clock: ManualClock;
  const open: LocalDurableQueue[] = [];

  async function openQueue(options: { maxDeliveryCount?: number; duplicateDetectionWindowMs?: number } = {}) {
    const q = await LocalDurableQueue.open({ dir, clock, ...options });
    open.push(q);
    return q;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-queue-'));
    clock = new ManualClock(T0);
  });

  afterEach(async () => {
    for (const q of open.splice(0)) await q.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a scheduled message invisible until its time', async () => {
    // Prepare
    const q = await openQueue();
    await q.schedule([reconcileItem()], new Date(T0 + 7_000));

    // Act
    clock.advance(6_999);
    const early = await q.receive(10);
    clock.advance(1);
    const due = await q.receive(10);

    // Assess
    expect(early).toEqual([]);
    expect(due).toHaveLength(1);
    expect(due[0]!.body).toEqual(reconcileItem());
    expect(due[0]!.messageId).toBe(messageIdFor(reconcileItem()));
    expect(due[0]!.deliveryCount).toBe(1);
    expect(due[0]!.scheduledEnqueueTimeUtc).toBe(new Date(T0 + 7_000).toISOString());
  });

  it('delivers due messages in order of their scheduled time', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem({ target: '/subscriptions/x/servers/late' })], new Date(T0 + 2_000));
    await q.schedule([reconcileItem({ target: '/subscriptions/x/servers/early' })], new Date(T0 + 1_000));
    clock.advance(5_000);

    const got = await q.receive(10);

    expect(got.map((m) => (m.body as ReconcileWorkItem).target)).toEqual([
      '/subscriptions/x/servers/early',
      '/subscriptions/x/servers/late',
    ]);
  });

  it('does not hand a locked message to a second receiver', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);

    const [first, second] = await Promise.all([q.receive(1), q.receive(1)]);

    expect(first.length + second.length).toBe(1);
    expect(await q.receive(1)).toEqual([]);
  });

  it('removes a completed message for good', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    const [m] = await q.receive(1);

    await q.complete(m!);
    await q.close();
    const reopened = await openQueue();

    expect(await reopened.receive(10)).toEqual([]);
    expect(reopened.counts()).toEqual({ scheduled: 0, active: 0, locked: 0 });
  });

  it('redelivers an abandoned message with a higher delivery count', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    const [m] = await q.receive(1);

    await q.abandon(m!);
    const [again] = await q.receive(1);

    expect(again!.messageId).toBe(m!.messageId);
    expect(again!.deliveryCount).toBe(2);
  });

  it('loses no scheduled message across a restart', async () => {
    // Prepare
    const q = await openQueue();
    await q.schedule([reconcileItem({ attempt: 2 })], new Date(T0 + 60_000));
    await q.schedule([reconcileItem({ attempt: 1, target: '/subscriptions/x/servers/sql-b' })], new Date(T0 + 30_000));
    await q.close();

    // Act
    const reopened = await openQueue();
    clock.advance(60_000);
    const got = await reopened.receive(10);

    // Assess
    expect(got.map((m) => (m.body as ReconcileWorkItem).target)).toEqual([
      '/subscriptions/x/servers/sql-b',
      reconcileItem().target,
    ]);
  });

  it('makes an in-flight message visible again after a restart', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    const [inFlight] = await q.receive(1);
    expect(inFlight).toBeDefined();
    await q.close(); // as if the process died mid-handler

    const reopened = await openQueue();
    const [again] = await reopened.receive(1);

    expect(again!.messageId).toBe(inFlight!.messageId);
    expect(again!.deliveryCount).toBe(2);
  });

  it('assigns sequence numbers after the ones already on disk', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })]);
    await q.close();

    const reopened = await openQueue();
    await reopened.schedule([reconcileItem({ attempt: 3 })]);

    expect(reopened.peekAll().map((m) => m.sequenceNumber)).toEqual([1, 2, 3]);
  });

  it('drops a message whose messageId was seen within the duplicate detection window', async () => {
    const q = await openQueue({ duplicateDetectionWindowMs: 60_000 });
    await q.schedule([reconcileItem()]);
    const [m] = await q.receive(1);
    await q.complete(m!);

    clock.advance(59_000);
    await q.schedule([reconcileItem(), reconcileItem({ attempt: 2 })]);

    const got = await q.receive(10);
    expect(got.map((x) => (x.body as ReconcileWorkItem).attempt)).toEqual([2]);
  });

  it('remembers seen messageIds across a restart', async () => {
    const q = await openQueue({ duplicateDetectionWindowMs: 60_000 });
    await q.schedule([reconcileItem()]);
    await q.close();

    const reopened = await openQueue({ duplicateDetectionWindowMs: 60_000 });
    const accepted = await reopened.send([
      {
        messageId: messageIdFor(reconcileItem()),
        subject: 'reconcile',
        contentType: 'application/json',
        correlationId: 'event-1',
        body: reconcileItem(),
        applicationProperties: {},
      },
    ]);

    expect(accepted).toEqual([]);
    expect(reopened.peekAll()).toHaveLength(1);
  });

  it('accepts the same messageId again once the window has passed', async () => {
    const q = await openQueue({ duplicateDetectionWindowMs: 60_000 });
    await q.schedule([reconcileItem()]);
    clock.advance(60_000);

    await q.schedule([reconcileItem()]);

    expect(q.peekAll()).toHaveLength(2);
  });

  it('dead-letters with MaxDeliveryCountExceeded when the handler keeps failing', async () => {
    const q = await openQueue({ maxDeliveryCount: 3 });
    await q.schedule([reconcileItem()]);

    for (let i = 0; i < 3; i++) {
      const [m] = await q.receive(1);
      expect(m!.deliveryCount).toBe(i + 1);
      await q.abandon(m!);
    }

    expect(await q.receive(1)).toEqual([]);
    const [dead] = await q.listDeadLetters();
    expect(dead).toMatchObject({
      messageId: messageIdFor(reconcileItem()),
      reason: MAX_DELIVERY_COUNT_EXCEEDED,
      deliveryCount: 3,
      body: reconcileItem(),
    });
    expect(dead!.description).toContain('3 times');
  });

  it('dead-letters a message that used its last delivery in a process that died', async () => {
    const q = await openQueue({ maxDeliveryCount: 1 });
    await q.schedule([reconcileItem()]);
    await q.receive(1);
    await q.close();

    const reopened = await openQueue({ maxDeliveryCount: 1 });

    expect(await reopened.receive(1)).toEqual([]);
    expect((await reopened.listDeadLetters()).map((d) => d.reason)).toEqual([MAX_DELIVERY_COUNT_EXCEEDED]);
  });

  it('records a failed work item with its reason and description in the dead-letter store', async () => {
    const q = await openQueue();

    await q.deadLetter(reconcileItem({ attempt: 10 }), 'MaxAttemptsExceeded', 'Gave up after 10 attempts');

    const reopened = await (async () => {
      await q.close();
      return openQueue();
    })();
    expect(await reopened.listDeadLetters()).toEqual([
      expect.objectContaining({
        reason: 'MaxAttemptsExceeded',
        description: 'Gave up after 10 attempts',
        correlationId: 'event-1',
        deadLetteredAt: new Date(T0).toISOString(),
        body: reconcileItem({ attempt: 10 }),
      }),
    ]);
  });

  it('dead-letters a received message on request', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    const [m] = await q.receive(1);

    await q.deadLetterMessage(m!, 'InvalidMessage', 'body is not a work item');

    expect(q.peekAll()).toEqual([]);
    expect((await q.listDeadLetters())[0]).toMatchObject({ reason: 'InvalidMessage', deliveryCount: 1 });
  });

  it('refuses to settle a message whose lock it does not hold', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    const [m] = await q.receive(1);
    await q.complete(m!);

    await expect(q.complete(m!)).rejects.toThrow(/not held/);
  });

  it('ignores temp files left by an interrupted write', async () => {
    await leaveMessageFile(openQueue, dir, '000000000009-abc.json.123.tmp', '{"half');

    const reopened = await openQueue();

    expect(reopened.peekAll()).toHaveLength(1);
    expect((await readdir(join(dir, 'messages'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a directory another live queue owns', async () => {
    await openQueue();

    await expect(LocalDurableQueue.open({ dir, clock })).rejects.toBeInstanceOf(QueueDirectoryInUseError);
  });

  it('tells listeners when a message becomes available and reports the next visible time', async () => {
    const q = await openQueue();
    let calls = 0;
    q.onAvailable(() => calls++);

    await q.schedule([reconcileItem()], new Date(T0 + 5_000));

    expect(calls).toBe(1);
    expect(q.nextVisibleAt()).toEqual(new Date(T0 + 5_000));
    expect(q.counts()).toEqual({ scheduled: 1, active: 0, locked: 0 });
  });
});
