/**
 * Backoff arithmetic for the durable retry queue. Pure: the jitter source and the clock are passed in.
 *
 * Retriable failures use exponential backoff with full jitter (delay uniform in [0, min(cap, base * 2^(n-1))]),
 * floored by what the server asked for (`Retry-After`, `x-ms-retry-after-ms`). Waiting-on-order failures (a geo
 * secondary does not have the key yet) use a flat delay with +/-10% jitter on a schedule of their own, because
 * waiting longer and longer does not make the secondary arrive sooner.
 */
import type { RetryPolicy } from './retryPolicy.js';
import { OPERATION_FAILED_MAX_ATTEMPTS } from './classifyArmError.js';
import type { ErrorCode } from './errors.js';

/**
 * Defaults sized for ARM write throttling. ARM refills a subscription's write bucket at 10 per second up to 200,
 * so a drained bucket is full again after 20 s: a 2 s base spreads the first retries of a burst over the refill
 * window instead of hammering it, and by attempt 5-6 the jitter window (32-64 s) exceeds a whole refill. The
 * 5 minute cap bounds how stale a rotation can get (the wait happens in the queue, not in a function). 10
 * attempts reach the cap at attempt 9 and give up after roughly 10 minutes of expected waiting (sum of the
 * jittered means: 1+2+4+...+128+150 s), long enough to ride out a regional 503 episode.
 * Waiting on order: geo secondaries usually get their key within a minute or two of the primary's fan-out, but
 * a large fan-out can queue them behind hundreds of servers, so 30 s x 40 waits up to 20 minutes.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  baseMs: 2_000,
  capMs: 300_000,
  maxAttempts: 10,
  orderDelayMs: 30_000,
  orderMaxAttempts: 40,
});

/**
 * Codes retried fewer times than the policy allows: attempts in all (the first included) for an item whose
 * latest failure has this code, whatever `maxAttempts` says (the lower limit wins). `OperationFailed` is a
 * long-running operation that failed without naming why: worth a second and third try, not ten.
 */
export const CODE_MAX_ATTEMPTS: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  OperationFailed: OPERATION_FAILED_MAX_ATTEMPTS,
});

/** Relative jitter of the waiting-on-order delay (+/- this fraction). */
export const ORDER_JITTER = 0.1;

export interface NextDelayInput {
  /** 1-based number of the attempt that just failed. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  /** Minimum wait the server asked for (see {@link parseRetryAfter}). */
  readonly retryAfterMs?: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  readonly kind: 'retriable' | 'waitingOnOrder';
  /** Code of the failure: a code in {@link CODE_MAX_ATTEMPTS} lowers the attempt limit. */
  readonly code?: ErrorCode;
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, or `undefined` when `attempt` was the last one allowed
 * (`maxAttempts` for retriable failures, `orderMaxAttempts` for waiting on order): dead-letter the item.
 * The attempt number is the item's, shared by both kinds, so the two limits bound the item's total attempts.
 * A `code` listed in {@link CODE_MAX_ATTEMPTS} lowers the limit of either kind to its own.
 * Throws RangeError for an attempt that is not a positive integer (a bug, not an input).
 */
export function nextDelayMs(input: NextDelayInput): number | undefined {
  const { attempt, policy, retryAfterMs, random, kind, code } = input;
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.ceil(retryAfterMs) : 0;
  const r = clampUnit(random());
  const codeLimit = (code === undefined ? undefined : CODE_MAX_ATTEMPTS[code]) ?? Number.POSITIVE_INFINITY;

  if (kind === 'waitingOnOrder') {
    if (attempt >= Math.min(policy.orderMaxAttempts, codeLimit)) return undefined;
    const jittered = Math.round(policy.orderDelayMs * (1 - ORDER_JITTER + 2 * ORDER_JITTER * r));
    return Math.max(floor, jittered);
  }

  if (attempt >= Math.min(policy.maxAttempts, codeLimit)) return undefined;
  // 2^(attempt-1) overflows to Infinity for huge attempts; min() with the cap keeps it finite.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  // r < 1, so this is an integer in [0, ceiling], both ends included.
  return Math.max(floor, Math.floor(r * (ceiling + 1)));
}

function clampUnit(x: number): number {
  if (!Number.isFinite(x) || x < 0) return 0;
  return x >= 1 ? 1 - Number.EPSILON : x;
}

/** Anything with a case-insensitive `get`, e.g. core-rest-pipeline's HttpHeaders or the Fetch `Headers`. */
export interface HeaderReader {
  get(name: string): string | undefined | null;
}

const DIGITS = /^\s*(\d+)\s*$/;

/**
 * The wait the server asked for, in milliseconds: `x-ms-retry-after-ms` (or `retry-after-ms`) first, else
 * `Retry-After` as delta-seconds or an HTTP date (relative to `now`, never negative). Undefined when none is
 * present or parseable.
 */
export function parseRetryAfter(headers: HeaderReader, now: Date): number | undefined {
  for (const name of ['x-ms-retry-after-ms', 'retry-after-ms']) {
    const v = headers.get(name);
    const m = typeof v === 'string' ? DIGITS.exec(v) : null;
    if (m) return Number(m[1]);
  }
  const v = headers.get('retry-after');
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const seconds = DIGITS.exec(v);
  if (seconds) return Number(seconds[1]) * 1000;
  // HTTP-date (IMF-fixdate and the obsolete forms Date.parse understands). Reject plain numbers with signs etc.
  if (!/[a-zA-Z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
