import { describe, expect, it } from 'vitest';
import { retryOrDeadLetter } from '../../src/app/retryOrDeadLetter.js';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/nextDelayMs.js';
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
/** What every log line about ITEM carries: its identifiers (never firstSeen). */
const ITEM_LOGGED = { kind: 'reconcile', attempt: 1, correlationId: 'evt-1', target: ITEM.target, key: ITEM.key };

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

describe('Function: retryOrDeadLetter (what it schedules, records and logs)', () => {
  it('schedules the next attempt at now + the backoff delay and says so in the outcome and the log', async () => {
    // Prepare
    const deps = fakeRetryDeps({ random: () => 0.5 });

    // Act
    const outcome = await retryOrDeadLetter(deps, { ...ITEM, runId: 'run-1', versionHint: 'a'.repeat(32) }, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    // Assess: attempt 1 of TEST_RETRY_POLICY: window [0, 2000], jitter 0.5 -> 1000 ms
    const at = new Date(deps.clock.now().getTime() + 1_000).toISOString();
    expect(outcome).toEqual({ kind: 'deferred', target: ITEM.target, code: 'ServiceUnavailable', reason: 'down', retryAt: at });
    expect(deps.queue.scheduled.map((s) => [s.item.attempt, s.at?.toISOString()])).toEqual([[2, at]]);
    expect(deps.failures.deadLetters).toEqual([]);
    expect(deps.logger.lines.map((l) => [l.level, l.properties])).toEqual([
      [
        'warn',
        {
          ...ITEM_LOGGED,
          runId: 'run-1',
          versionHint: 'a'.repeat(32),
          code: 'ServiceUnavailable',
          errorClass: 'retriable',
          retryAt: at,
          delayMs: 1_000,
        },
      ],
    ]);
  });

  it('waits at least what Retry-After asked', async () => {
    const deps = fakeRetryDeps({ random: () => 0 });

    const outcome = await retryOrDeadLetter(deps, ITEM, new RotationError('TooManyRequests', 'retriable', 'slow down', { details: { retryAfterMs: 45_000 } }));

    expect(outcome).toMatchObject({ kind: 'deferred', retryAt: new Date(deps.clock.now().getTime() + 45_000).toISOString() });
  });

  it('waits on order on the order schedule', async () => {
    const deps = fakeRetryDeps({ random: () => 0.5 });

    const outcome = await retryOrDeadLetter(deps, ITEM, new RotationError('WaitingForGeoSecondary', 'waitingOnOrder', 'secondary first'));

    expect(outcome).toMatchObject({ kind: 'deferred', retryAt: new Date(deps.clock.now().getTime() + 30_000).toISOString() });
  });

  it('dead-letters a terminal failure at once, with its code as the reason and its message as the description', async () => {
    const deps = fakeRetryDeps();

    const outcome = await retryOrDeadLetter(deps, ITEM, new RotationError('NotInConfig', 'terminal', 'Work item refused: nope'));

    expect(outcome).toEqual({ kind: 'failed', target: ITEM.target, code: 'NotInConfig', reason: 'Work item refused: nope' });
    expect(deps.failures.deadLetters).toEqual([{ item: ITEM, reason: 'NotInConfig', description: 'Work item refused: nope' }]);
    expect(deps.queue.scheduled).toEqual([]);
    expect(deps.logger.lines.map((l) => [l.level, l.properties])).toEqual([
      [
        'error',
        {
          ...ITEM_LOGGED,
          code: 'NotInConfig',
          errorClass: 'terminal',
          reason: 'NotInConfig',
          description: 'Work item refused: nope',
        },
      ],
    ]);
  });

  it('dead-letters the last retriable attempt as MaxAttemptsExceeded, naming the attempts and the last error', async () => {
    const deps = fakeRetryDeps();

    const outcome = await retryOrDeadLetter(deps, { ...ITEM, attempt: 4 }, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    const description = 'Gave up after 4 attempts; last error ServiceUnavailable: down';
    expect(outcome).toEqual({ kind: 'failed', target: ITEM.target, code: 'ServiceUnavailable', reason: description });
    expect(deps.failures.deadLetters).toEqual([{ item: { ...ITEM, attempt: 4 }, reason: 'MaxAttemptsExceeded', description }]);
  });

  it.each([
    [
      'discover',
      { kind: 'discover', key: ITEM.key, target: '/subscriptions/s/resourceGroups/rg', attempt: 2, firstSeen: ITEM.firstSeen, correlationId: 'c' },
      { kind: 'discover', attempt: 2, correlationId: 'c', scope: '/subscriptions/s/resourceGroups/rg', key: ITEM.key },
    ],
    [
      'syncAgentKey',
      { kind: 'syncAgentKey', target: `${ITEM.target}/syncAgents/a`, vaultUrl: 'https://v.vault.azure.net', secretName: 's-1', rotationId: 'r', attempt: 1, firstSeen: ITEM.firstSeen, correlationId: 'c', runId: 'run' },
      { kind: 'syncAgentKey', attempt: 1, correlationId: 'c', runId: 'run', agent: `${ITEM.target}/syncAgents/a`, secretName: 's-1' },
    ],
  ] as const)('logs a %s item by its own identifiers', async (_kind, item, expected) => {
    const deps = fakeRetryDeps();

    await retryOrDeadLetter(deps, item, new RotationError('NotInConfig', 'terminal', 'no'));

    expect(deps.logger.lines[0]?.properties).toEqual({ ...expected, code: 'NotInConfig', errorClass: 'terminal', reason: 'NotInConfig', description: 'no' });
  });
});
