import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionIdFor } from '../../../src/app/sessionIdFor.js';
import type { ReconcileWorkItem } from '../../../src/domain/workItem.js';
import { LocalDurableQueue } from '../../../src/local/queue/localDurableQueue.js';
import { ManualClock, reconcileItem, SERVER_A, T0 } from './queueFixtures.js';

const SERVER_B = SERVER_A.replace('sql-a', 'sql-b');

describe('Class: LocalDurableQueue (sessions)', () => {
  let dir: string;
  let clock: ManualClock;
  let q: LocalDurableQueue;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-queue-sessions-'));
    clock = new ManualClock(T0);
    q = await LocalDurableQueue.open({ dir, clock });
  });

  afterEach(async () => {
    await q.close();
    await rm(dir, { recursive: true, force: true });
  });

  const attempts = (ms: readonly { body: unknown }[]) => ms.map((m) => (m.body as ReconcileWorkItem).attempt);

  it('stores the lowercased target as the session of a work item', async () => {
    await q.schedule([reconcileItem({ target: SERVER_A.toUpperCase() })]);

    expect(q.peekAll().map((m) => m.sessionId)).toEqual([SERVER_A.toLowerCase()]);
    expect(sessionIdFor(reconcileItem({ target: SERVER_A.toUpperCase() }))).toBe(SERVER_A.toLowerCase());
  });

  it('hands out one message of a session at a time, the next once the first is settled', async () => {
    // Prepare
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2, target: SERVER_A.toUpperCase() })]);

    // Act
    const first = await q.receive(10);
    const whileLocked = await q.receive(10);
    await q.complete(first[0]!);
    const second = await q.receive(10);

    // Assess
    expect(attempts(first)).toEqual([1]);
    expect(whileLocked).toEqual([]);
    expect(attempts(second)).toEqual([2]);
  });

  it('hands out messages of different sessions together', async () => {
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 }), reconcileItem({ target: SERVER_B })]);

    const got = await q.receive(10);

    expect(got.map((m) => (m.body as ReconcileWorkItem).target)).toEqual([SERVER_A, SERVER_B]);
  });

  it('does not hand one session to two concurrent receivers', async () => {
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })]);

    const [a, b] = await Promise.all([q.receive(1), q.receive(1)]);

    expect(a.length + b.length).toBe(1);
  });

  it('orders a session by scheduled time, then enqueue order', async () => {
    // Prepare: enqueued 1, 2, 3; scheduled 3 first, then 1 and 2 at the same time
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })], new Date(T0 + 2_000));
    await q.schedule([reconcileItem({ attempt: 3 })], new Date(T0 + 1_000));
    clock.advance(5_000);

    // Act
    const order: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await q.receive(10);
      order.push((m!.body as ReconcileWorkItem).attempt);
      await q.complete(m!);
    }

    // Assess
    expect(order).toEqual([3, 1, 2]);
  });

  it('gives an abandoned message back to its session before the session moves on', async () => {
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })]);
    const [m] = await q.receive(10);

    await q.abandon(m!);
    const [again] = await q.receive(10);

    expect(attempts([again!])).toEqual([1]);
    expect(again!.deliveryCount).toBe(2);
  });

  it('reports no visible time for a message waiting on its locked session, and wakes listeners on settle', async () => {
    // Prepare
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })]);
    const [m] = await q.receive(10);
    let wakes = 0;
    q.onAvailable(() => wakes++);

    // Act
    const whileLocked = q.nextVisibleAt();
    await q.complete(m!);

    // Assess
    expect(whileLocked).toBeUndefined();
    expect(wakes).toBe(1);
    expect(q.nextVisibleAt()).toEqual(new Date(T0));
  });

  it('keeps the session of a message across a restart', async () => {
    await q.schedule([reconcileItem({ attempt: 1 }), reconcileItem({ attempt: 2 })]);
    await q.close();

    q = await LocalDurableQueue.open({ dir, clock });
    const got = await q.receive(10);

    expect(attempts(got)).toEqual([1]);
    expect(got[0]!.sessionId).toBe(SERVER_A.toLowerCase());
  });
});
