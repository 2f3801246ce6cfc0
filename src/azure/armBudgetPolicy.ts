/**
 * A pipeline policy for the ARM clients that spends one {@link ArmBudget} per process: before each request it
 * waits for a token of the request's kind (GET/HEAD: read, anything else: write) in the subscription named by the
 * URL, first come first served, and after each answer it hands ARM's `x-ms-ratelimit-remaining-subscription-*`
 * and `Retry-After` back to the budget. LRO status polls are GETs, so they wait for read tokens like any read.
 *
 * A wait longer than `maxWaitMs` is not taken in process: the request fails at once with a retriable
 * `ClientThrottled` RotationError carrying the expected wait, and the work item goes back to the queue for that
 * long. Requests without a subscription in their path (none today) pass untouched.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { parseRetryAfter } from '../domain/nextDelayMs.js';
import type { ArmBudget, ArmRequestKind } from '../domain/armBudget.js';
import { RotationError } from '../domain/errors.js';

export const ARM_BUDGET_POLICY = 'armBudgetPolicy';

const READ_METHODS = new Set(['GET', 'HEAD']);
const SUBSCRIPTION = /\/subscriptions\/([0-9a-fA-F-]{36})(?:\/|$)/;

export interface ArmBudgetPolicyOptions {
  readonly budget: ArmBudget;
  /** Longest wait for a token taken in process; beyond it the request fails with `ClientThrottled`. */
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

interface Line {
  readonly waiting: { resolve: (ticket: number) => void }[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function armBudgetPolicy(options: ArmBudgetPolicyOptions): PipelinePolicy {
  const { budget } = options;
  const now = options.now ?? Date.now;
  const lines = new Map<string, Line>();

  const lineOf = (sub: string, kind: ArmRequestKind): Line => {
    const key = `${sub.toLowerCase()}/${kind}`;
    let line = lines.get(key);
    if (!line) {
      line = { waiting: [], timer: undefined };
      lines.set(key, line);
    }
    return line;
  };

  /** Hands tokens to the waiters in order; sleeps until the budget says, or until an answer comes back. */
  const pump = (sub: string, kind: ArmRequestKind): void => {
    const line = lineOf(sub, kind);
    if (line.timer !== undefined) {
      clearTimeout(line.timer);
      line.timer = undefined;
    }
    while (line.waiting.length > 0) {
      const r = budget.tryTake(sub, kind, now());
      if (!r.granted) {
        if (r.retryInMs !== undefined) line.timer = setTimeout(() => pump(sub, kind), r.retryInMs);
        return;
      }
      line.waiting.shift()?.resolve(r.ticket);
    }
  };

  const acquire = (sub: string, kind: ArmRequestKind): Promise<number> => {
    const line = lineOf(sub, kind);
    if (line.waiting.length === 0) {
      const r = budget.tryTake(sub, kind, now());
      if (r.granted) return Promise.resolve(r.ticket);
    }
    const wait = budget.estimateWaitMs(sub, kind, line.waiting.length, now());
    if (wait > options.maxWaitMs) {
      return Promise.reject(
        new RotationError('ClientThrottled', 'retriable', `ARM ${kind} budget for subscription ${sub} exhausted for about ${Math.ceil(wait / 1000)} s`, {
          details: { retryAfterMs: wait },
        }),
      );
    }
    const granted = new Promise<number>((resolve) => line.waiting.push({ resolve }));
    if (line.waiting.length === 1) pump(sub, kind);
    return granted;
  };

  return {
    name: ARM_BUDGET_POLICY,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const sub = SUBSCRIPTION.exec(new URL(request.url).pathname)?.[1];
      if (sub === undefined) return next(request);
      const kind: ArmRequestKind = READ_METHODS.has(request.method.toUpperCase()) ? 'read' : 'write';
      const ticket = await acquire(sub, kind);
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (e) {
        budget.abandon(sub, kind, ticket, now());
        pump(sub, kind);
        throw e;
      }
      const remaining = Number(response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}s`) ?? Number.NaN);
      const retryAfterMs = response.status === 429 ? (parseRetryAfter(response.headers, new Date(now())) ?? 1_000) : undefined;
      budget.observe(
        sub,
        kind,
        ticket,
        { status: response.status, ...(Number.isFinite(remaining) ? { remaining } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
        now(),
      );
      pump(sub, kind);
      return response;
    },
  };
}
