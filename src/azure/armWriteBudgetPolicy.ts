/**
 * A pipeline policy for the ARM clients that paces writes with a client-side {@link WriteBudget}, so a
 * thousand-server fan-out does not become a 429 storm. A short wait (up to `maxInlineWaitMs`) is taken in
 * process; a longer one is handed back as a retriable `ClientThrottled` error carrying the wait, and the
 * work item goes back to the backoff queue for that long.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { RotationError } from '../domain/errors.js';
import type { WriteBudget } from '../domain/writeBudget.js';

export const ARM_WRITE_BUDGET_POLICY = 'armWriteBudgetPolicy';

const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const SUBSCRIPTION = /\/subscriptions\/([0-9a-fA-F-]{36})(?:\/|$)/;

export interface ArmWriteBudgetOptions {
  readonly budget: WriteBudget;
  /** Longest wait taken in process before a write; beyond it the item is rescheduled. */
  readonly maxInlineWaitMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function armWriteBudgetPolicy(options: ArmWriteBudgetOptions): PipelinePolicy {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    name: ARM_WRITE_BUDGET_POLICY,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const sub = SUBSCRIPTION.exec(new URL(request.url).pathname)?.[1];
      const isWrite = WRITE_METHODS.has(request.method) && sub !== undefined;
      if (isWrite) {
        const wait = options.budget.reserve(sub, now());
        if (wait > options.maxInlineWaitMs) {
          options.budget.release(sub, now());
          throw new RotationError('ClientThrottled', 'retriable', `ARM write budget for subscription ${sub} exhausted`, {
            details: { retryAfterMs: wait },
          });
        }
        if (wait > 0) await sleep(wait);
      }
      const response = await next(request);
      if (sub !== undefined) {
        const remaining = Number(response.headers.get('x-ms-ratelimit-remaining-subscription-writes'));
        if (isWrite && Number.isFinite(remaining)) options.budget.observeRemaining(sub, remaining, now());
        if (response.status === 429) {
          const ra = Number(response.headers.get('retry-after'));
          options.budget.observeThrottled(sub, Number.isFinite(ra) ? ra * 1000 : 1000, now());
        }
      }
      return response;
    },
  };
}
