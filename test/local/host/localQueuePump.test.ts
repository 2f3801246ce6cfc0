import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TriggerMetadata } from '@azure/functions';
import type { ReconcileWorkItem } from '../../../src/domain/workItem.js';
import { LocalQueuePump } from '../../../src/local/host/localQueuePump.js';
import { LocalDurableQueue } from '../../../src/local/queue/localDurableQueue.js';
import { reconcileItem, SERVER_A } from '../queue/queueFixtures.js';

const SERVER_B = SERVER_A.replace('sql-a', 'sql-b');
const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

describe('Class: LocalQueuePump', () => {
  let dir: string;
  let queue: LocalDurableQueue;
  let pump: LocalQueuePump | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-pump-'));
    queue = await LocalDurableQueue.open({ dir });
  });

  afterEach(async () => {
    await pump?.stop();
    pump = undefined;
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  function startPump(handle: (body: unknown, meta: TriggerMetadata) => Promise<void>, concurrency = 4): void {
    pump = new LocalQueuePump({ queue, concurrency, pollIntervalMs: 10, handle, log: () => undefined });
    pump.start();
  }

  it('never runs two messages of one session at the same time, and keeps their order (repeated)', async () => {
    for (let round = 0; round < 20; round++) {
      // Prepare: a fresh queue per round (the same items would be duplicates within the detection window)
      await queue.close();
      queue = await LocalDurableQueue.open({ dir: join(dir, `round-${round}`) });
      const inFlight = new Map<string, number>();
      const maxInFlight = new Map<string, number>();
      const order = new Map<string, number[]>();
      let maxTotal = 0;
      let total = 0;
      let done = 0;
      let finish!: () => void;
      const finished = new Promise<void>((r) => (finish = r));
      const items = [1, 2, 3, 4, 5, 6].flatMap((attempt) => [
        reconcileItem({ attempt }),
        reconcileItem({ attempt, target: SERVER_B }),
      ]);

      // Act
      startPump(async (body, meta) => {
        const session = String(meta['sessionId']);
        inFlight.set(session, (inFlight.get(session) ?? 0) + 1);
        total++;
        maxInFlight.set(session, Math.max(maxInFlight.get(session) ?? 0, inFlight.get(session)!));
        maxTotal = Math.max(maxTotal, total);
        order.set(session, [...(order.get(session) ?? []), (body as ReconcileWorkItem).attempt]);
        for (let i = 0; i < 3; i++) await yieldToIo(); // long enough for the pump to look for more work
        inFlight.set(session, inFlight.get(session)! - 1);
        total--;
        if (++done === items.length) finish();
      });
      await queue.schedule(items);
      await finished;
      await pump!.stop();
      pump = undefined;

      // Assess
      expect([...maxInFlight.values()]).toEqual([1, 1]);
      expect(order.get(SERVER_A.toLowerCase())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(order.get(SERVER_B.toLowerCase())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(maxTotal).toBe(2);
    }
  });

  it('runs messages of different sessions in parallel', async () => {
    // Prepare: each handler waits until the other one has started; run one at a time, they would never finish
    const started = new Map<string, () => void>();
    const running = new Map([SERVER_A, SERVER_B].map((s) => [s.toLowerCase(), new Promise<void>((r) => started.set(s.toLowerCase(), r))]));
    const completed: string[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));

    // Act
    startPump(async (_body, meta) => {
      const session = String(meta['sessionId']);
      started.get(session)!();
      await Promise.all(running.values());
      completed.push(session);
      if (completed.length === 2) finish();
    });
    await queue.schedule([reconcileItem(), reconcileItem({ target: SERVER_B })]);
    await finished;

    // Assess
    expect(completed.sort()).toEqual([SERVER_A.toLowerCase(), SERVER_B.toLowerCase()].sort());
  });
});
