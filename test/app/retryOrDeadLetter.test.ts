import { describe, expect, it } from 'vitest';
import { retryOrDeadLetter } from '../../src/app/retryOrDeadLetter.js';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/backoff.js';
import { RotationError, type ErrorCode } from '../../src/domain/errors.js';
import type { WorkItem } from '../../src/domain/workItem.js';
import { fakeRetryDeps } from '../support/fakes/fakeRetryDeps.js';

const ITEM: WorkItem = {
  kind: 'reconcile',
  key: 'https://contoso-tde.vault.azure.net/keys/tde',
  target: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a',
  attempt: 1,
  firstSeen: '2026-01-01T00:00:00.000Z',
  correlationId: 'evt-1',
};

async function fateAt(attempt: number, code: ErrorCode): Promise<string> {
  const deps = fakeRetryDeps({ policy: DEFAULT_RETRY_POLICY });
  const outcome = await retryOrDeadLetter(deps, { ...ITEM, attempt }, new RotationError(code, 'retriable', 'failed'));
  return outcome.kind;
}

describe('Function: retryOrDeadLetter', () => {
  it('retries a failed operation without a code twice, then dead-letters it (3 attempts in all)', async () => {
    expect([await fateAt(1, 'OperationFailed'), await fateAt(2, 'OperationFailed'), await fateAt(3, 'OperationFailed')]).toEqual([
      'deferred',
      'deferred',
      'failed',
    ]);
  });

  it('keeps the policy limit (10) for other retriable codes', async () => {
    expect([await fateAt(3, 'OperationInterrupted'), await fateAt(9, 'OperationInterrupted'), await fateAt(10, 'OperationInterrupted')]).toEqual([
      'deferred',
      'deferred',
      'failed',
    ]);
  });
});
