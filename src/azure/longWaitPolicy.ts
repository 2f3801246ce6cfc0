/**
 * Keeps the SDK's in-process retries short. Azure SDK clients honour `Retry-After` on 429/503 by sleeping,
 * however long it is; inside a function that burns the time limit and loses the wait if the instance recycles.
 * This policy sits inside the SDK's retry loop and turns an answer that asks for more than `maxInlineWaitMs`
 * into a retriable RotationError carrying the wait, so the work item is rescheduled on the backoff queue.
 * Short waits stay with the SDK.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { parseRetryAfter } from '../domain/nextDelayMs.js';
import { RotationError } from '../domain/errors.js';

export const LONG_WAIT_POLICY = 'longWaitPolicy';

export function longWaitPolicy(maxInlineWaitMs: number, now: () => Date = () => new Date()): PipelinePolicy {
  return {
    name: LONG_WAIT_POLICY,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const wait = parseRetryAfter(response.headers, now());
      if (wait === undefined || wait <= maxInlineWaitMs) return response;
      throw new RotationError(
        response.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
        'retriable',
        `${response.status} from ${new URL(request.url).host} asks to wait ${Math.ceil(wait / 1000)} s; rescheduled`,
        { details: { statusCode: response.status, retryAfterMs: wait } },
      );
    },
  };
}
