/**
 * Pipeline options shared by every Azure client of the app: few, short SDK retries, and no in-process wait
 * longer than `maxInlineWaitMs` (see longWaitPolicy). Long waits belong to the backoff queue.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { longWaitPolicy } from './longWaitPolicy.js';

/** SDK retries stay short: they must fit well inside the function's time limit. */
export const SHORT_SDK_RETRIES = { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4_000 } as const;

/** Longest wait taken inside one invocation (SDK retry delay or write pacing). */
export const MAX_INLINE_WAIT_MS = 5_000;

export interface ShortRetryOptions {
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { policy: PipelinePolicy; position: 'perCall' | 'perRetry' }[];
}

export function shortRetryOptions(maxInlineWaitMs: number = MAX_INLINE_WAIT_MS): ShortRetryOptions {
  return {
    retryOptions: { ...SHORT_SDK_RETRIES },
    additionalPolicies: [{ policy: longWaitPolicy(maxInlineWaitMs), position: 'perRetry' }],
  };
}
