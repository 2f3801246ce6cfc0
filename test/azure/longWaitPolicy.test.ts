import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { longWaitPolicy } from '../../src/azure/longWaitPolicy.js';
import { isRotationError } from '../../src/domain/errors.js';

function answer(status: number, headers: Record<string, string> = {}) {
  return (request: ReturnType<typeof createPipelineRequest>): Promise<PipelineResponse> =>
    Promise.resolve({ request, status, headers: createHttpHeaders(headers) });
}

const request = () => createPipelineRequest({ url: 'https://management.azure.com/subscriptions/x', method: 'PUT' });

describe('longWaitPolicy', () => {
  it('hands a 429 asking for more than the inline limit back as a retriable error carrying the wait', async () => {
    const err = await longWaitPolicy(5_000)
      .sendRequest(request(), answer(429, { 'retry-after': '7' }))
      .catch((e: unknown) => e);

    expect(isRotationError(err) && err.errorClass).toBe('retriable');
    expect(isRotationError(err) && err.details).toMatchObject({ statusCode: 429, retryAfterMs: 7_000 });
  });

  it('lets the SDK retry a short 503 itself', async () => {
    const response = await longWaitPolicy(5_000).sendRequest(request(), answer(503, { 'retry-after': '2' }));

    expect(response.status).toBe(503);
  });

  it('honours x-ms-retry-after-ms', async () => {
    const err = await longWaitPolicy(1_000)
      .sendRequest(request(), answer(503, { 'x-ms-retry-after-ms': '1500' }))
      .catch((e: unknown) => e);

    expect(isRotationError(err) && err.details.retryAfterMs).toBe(1_500);
  });

  it('passes other answers through untouched', async () => {
    const response = await longWaitPolicy(1_000).sendRequest(request(), answer(200, { 'retry-after': '60' }));

    expect(response.status).toBe(200);
  });
});
