import { createHttpHeaders, createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { armBudgetPolicy } from '../../src/azure/armBudgetPolicy.js';
import { ArmBudget } from '../../src/domain/armBudget.js';
import { isRotationError } from '../../src/domain/errors.js';

const SUB = '5b4b650e-28b9-4790-b3ab-ddbd88d727c4';
const SERVER = `https://management.azure.com/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-1`;
const tiny = { read: { capacity: 2, refillPerSecond: 1 }, write: { capacity: 2, refillPerSecond: 1 } };

function request(method: 'GET' | 'PUT', url = `${SERVER}?api-version=2021-11-01`): PipelineRequest {
  return createPipelineRequest({ url, method });
}

/** An ARM stand-in that answers at once with the given status and headers, and records what reached it. */
function arm(answer: (r: PipelineRequest) => { status: number; headers?: Record<string, string> }) {
  const sent: { method: string; at: number }[] = [];
  const next = (r: PipelineRequest): Promise<PipelineResponse> => {
    sent.push({ method: r.method, at: Date.now() });
    const a = answer(r);
    return Promise.resolve({ request: r, status: a.status, headers: createHttpHeaders(a.headers ?? {}) });
  };
  return { sent, next };
}

describe('armBudgetPolicy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends at once while the bucket has tokens', async () => {
    // Prepare
    const policy = armBudgetPolicy({ budget: new ArmBudget({ buckets: tiny, reserveFraction: 0 }), maxWaitMs: 60_000 });
    const { sent, next } = arm(() => ({ status: 200, headers: { 'x-ms-ratelimit-remaining-subscription-reads': '1' } }));

    // Act
    await policy.sendRequest(request('GET'), next);

    // Assess
    expect(sent).toHaveLength(1);
  });

  it('makes a read wait for its token, in order, and sends it when the bucket has refilled', async () => {
    // Prepare
    const policy = armBudgetPolicy({ budget: new ArmBudget({ buckets: tiny, reserveFraction: 0 }), maxWaitMs: 60_000 });
    let remaining = 2;
    const { sent, next } = arm(() => ({ status: 200, headers: { 'x-ms-ratelimit-remaining-subscription-reads': String(--remaining) } }));
    await policy.sendRequest(request('GET'), next);
    await policy.sendRequest(request('GET'), next);

    // Act
    const order: number[] = [];
    const third = policy.sendRequest(request('GET'), next).then(() => order.push(3));
    const fourth = policy.sendRequest(request('GET'), next).then(() => order.push(4));
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(2);
    remaining = 1;
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(3);
    remaining = 1;
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([third, fourth]);

    // Assess
    expect(sent).toHaveLength(4);
    expect(order).toEqual([3, 4]);
  });

  it('takes write tokens for PUT and read tokens for GET, from separate buckets', async () => {
    // Prepare
    const policy = armBudgetPolicy({ budget: new ArmBudget({ buckets: tiny, reserveFraction: 0 }), maxWaitMs: 60_000 });
    const { sent, next } = arm((r) => ({
      status: r.method === 'GET' ? 200 : 202,
      headers: r.method === 'GET' ? { 'x-ms-ratelimit-remaining-subscription-reads': '0' } : { 'x-ms-ratelimit-remaining-subscription-writes': '1' },
    }));
    await policy.sendRequest(request('GET'), next);

    // Act
    await policy.sendRequest(request('PUT'), next);

    // Assess
    expect(sent.map((s) => s.method)).toEqual(['GET', 'PUT']);
  });

  it('corrects the budget from the remaining-reads header: ARM says 0, the next read waits', async () => {
    // Prepare
    const budget = new ArmBudget({ reserveFraction: 0 });
    const policy = armBudgetPolicy({ budget, maxWaitMs: 60_000 });
    const { sent, next } = arm(() => ({ status: 200, headers: { 'x-ms-ratelimit-remaining-subscription-reads': '0' } }));
    await policy.sendRequest(request('GET'), next);

    // Act
    const second = policy.sendRequest(request('GET'), next);
    await vi.advanceTimersByTimeAsync(10);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(40);
    await second;

    // Assess
    expect(sent).toHaveLength(2);
  });

  it('holds every request of the kind for Retry-After after a 429', async () => {
    // Prepare
    const budget = new ArmBudget({ reserveFraction: 0 });
    const policy = armBudgetPolicy({ budget, maxWaitMs: 60_000 });
    let status = 429;
    const { sent, next } = arm(() => ({ status, headers: { 'retry-after': '3', 'x-ms-ratelimit-remaining-subscription-writes': '0' } }));
    const first = await policy.sendRequest(request('PUT'), next);
    status = 202;

    // Act
    const retry = policy.sendRequest(request('PUT'), next);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await retry;

    // Assess
    expect(first.status).toBe(429);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.at - sent[0]!.at).toBe(3_000);
  });

  it('fails at once with a retriable ClientThrottled carrying the wait when it is longer than maxWaitMs', async () => {
    // Prepare
    const policy = armBudgetPolicy({ budget: new ArmBudget({ buckets: tiny, reserveFraction: 0 }), maxWaitMs: 400 });
    const { sent, next } = arm(() => ({ status: 202, headers: { 'x-ms-ratelimit-remaining-subscription-writes': '0' } }));
    await policy.sendRequest(request('PUT'), next);

    // Act
    const err = await policy.sendRequest(request('PUT'), next).catch((e: unknown) => e);

    // Assess
    expect(sent).toHaveLength(1);
    expect(isRotationError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ClientThrottled', errorClass: 'retriable' });
    expect((err as { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(400);
  });

  it('leaves requests without a subscription in the path alone', async () => {
    // Prepare
    const policy = armBudgetPolicy({ budget: new ArmBudget({ buckets: tiny, reserveFraction: 0, maxUnconfirmed: 1 }), maxWaitMs: 0 });
    const { sent, next } = arm(() => ({ status: 200 }));

    // Act
    await Promise.all([1, 2, 3].map(() => policy.sendRequest(request('GET', 'https://management.azure.com/providers/Microsoft.Sql/operations?api-version=1'), next)));

    // Assess
    expect(sent).toHaveLength(3);
  });
});
