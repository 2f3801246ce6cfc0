/**
 * The retry half of the use cases' dependencies (queue, failure sink, clock, jitter, policy, logger), as fakes:
 * what retryOrDeadLetter needs, and what every use case that retries spreads into its own deps.
 */
import type { Clock } from '../../../src/app/ports.js';
import type { RetryPolicy } from '../../../src/domain/retryPolicy.js';
import { CaptureLogger } from './captureLogger.js';
import { FakeClock } from './fakeClock.js';
import { FakeFailureSink } from './fakeFailureSink.js';
import { FakeWorkQueue } from './fakeWorkQueue.js';

/** A short policy: four attempts, so exhaustion is reached in a few steps. */
export const TEST_RETRY_POLICY: RetryPolicy = Object.freeze({
  baseMs: 2_000,
  capMs: 300_000,
  maxAttempts: 4,
  orderDelayMs: 30_000,
  orderMaxAttempts: 10,
});

export interface FakeRetryDeps {
  readonly queue: FakeWorkQueue;
  readonly failures: FakeFailureSink;
  readonly clock: Clock;
  /** Mid-range jitter (0.5) unless given. */
  readonly random: () => number;
  readonly policy: RetryPolicy;
  readonly logger: CaptureLogger;
}

/** Fresh fakes for the retry dependencies; pass any to share or replace one. */
export function fakeRetryDeps(overrides: Partial<FakeRetryDeps> = {}): FakeRetryDeps {
  return {
    queue: overrides.queue ?? new FakeWorkQueue(),
    failures: overrides.failures ?? new FakeFailureSink(),
    clock: overrides.clock ?? new FakeClock(),
    random: overrides.random ?? (() => 0.5),
    policy: overrides.policy ?? TEST_RETRY_POLICY,
    logger: overrides.logger ?? new CaptureLogger(),
  };
}
