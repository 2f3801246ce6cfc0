/** Shared fixtures of the embedded queue tests. */
import type { ReconcileWorkItem } from '../../../src/domain/workItem.js';

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
