/** Shared fixtures of the embedded queue tests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReconcileWorkItem } from '../../../src/domain/workItem.js';
import type { LocalDurableQueue } from '../../../src/local/queue/localDurableQueue.js';

export class ManualClock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const T0 = Date.parse('2025-08-01T10:00:00Z');

export const SERVER_A =
  '/subscriptions/6a1d2c0e-3b4f-4e5a-9c7d-8e9f0a1b2c3d/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a';

export function reconcileItem(overrides: Partial<ReconcileWorkItem> = {}): ReconcileWorkItem {
  return {
    kind: 'reconcile',
    target: SERVER_A,
    key: 'https://contoso-tde.vault.azure.net/keys/tde-key',
    versionHint: '5b8e2c7a41d94f0e9a3c6d1b2e7f8a90',
    attempt: 1,
    firstSeen: '2025-08-01T10:00:00.000Z',
    correlationId: 'event-1',
    ...overrides,
  };
}

/**
 * Leaves the queue directory `dir` as a stopped process would: one scheduled message on disk and the queue closed,
 * then puts a file `name` with `content` among the messages (a temp file, a torn message) for the next start-up.
 */
export async function leaveMessageFile(openQueue: () => Promise<LocalDurableQueue>, dir: string, name: string, content: string): Promise<void> {
  const q = await openQueue();
  await q.schedule([reconcileItem()]);
  await q.close();
  await writeFile(join(dir, 'messages', name), content);
}
