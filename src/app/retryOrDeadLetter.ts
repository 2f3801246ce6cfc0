/**
 * The one place where a failed work item's fate is decided: a scheduled retry on the backoff queue, or a
 * dead-letter with its reason. Nothing is dropped: if even scheduling fails, the error propagates so the
 * trigger redelivers (Service Bus abandon, Event Grid retry).
 */
import { nextDelayMs } from '../domain/nextDelayMs.js';
import type { RotationError } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import type { WorkItem } from '../domain/workItem.js';
import type { RetryPolicy } from '../config/appConfig.js';
import type { Clock, FailureSink, Logger, WorkQueue } from './ports.js';

export interface RetryDeps {
  readonly queue: WorkQueue;
  readonly failures: FailureSink;
  readonly clock: Clock;
  /** Uniform in [0, 1): the jitter source (Math.random in production, seeded in tests). */
  readonly random: () => number;
  readonly policy: RetryPolicy;
  readonly logger: Logger;
}

/** Identifiers of an item for log lines (never a secret: items hold none). */
export function itemLogProperties(item: WorkItem): Record<string, unknown> {
  const common = { kind: item.kind, attempt: item.attempt, correlationId: item.correlationId, ...(item.runId === undefined ? {} : { runId: item.runId }) };
  switch (item.kind) {
    case 'reconcile':
      return { ...common, target: item.target, key: item.key, ...(item.versionHint === undefined ? {} : { versionHint: item.versionHint }) };
    case 'discover':
      return { ...common, scope: item.target, key: item.key };
    case 'syncAgentKey':
      return { ...common, agent: item.target, secretName: item.secretName };
  }
}

export async function retryOrDeadLetter(deps: RetryDeps, item: WorkItem, error: RotationError): Promise<Outcome> {
  const props = { ...itemLogProperties(item), code: error.code, errorClass: error.errorClass };
  if (error.errorClass !== 'terminal') {
    const delay = nextDelayMs({
      attempt: item.attempt,
      policy: deps.policy,
      random: deps.random,
      kind: error.errorClass,
      // Some codes have an attempt limit of their own (CODE_MAX_ATTEMPTS: OperationFailed gets 3).
      code: error.code,
      ...(error.details.retryAfterMs === undefined ? {} : { retryAfterMs: error.details.retryAfterMs }),
    });
    if (delay !== undefined) {
      const at = new Date(deps.clock.now().getTime() + delay);
      await deps.queue.schedule([{ ...item, attempt: item.attempt + 1 }], at);
      deps.logger.warn(`Attempt ${item.attempt} failed with ${error.code}; retry ${item.attempt + 1} scheduled`, {
        ...props,
        retryAt: at.toISOString(),
        delayMs: delay,
      });
      return { kind: 'deferred', target: item.target, code: error.code, reason: error.message, retryAt: at.toISOString() };
    }
  }
  const reason = error.errorClass === 'terminal' ? error.code : 'MaxAttemptsExceeded';
  const description =
    error.errorClass === 'terminal'
      ? error.message
      : `Gave up after ${item.attempt} attempts; last error ${error.code}: ${error.message}`;
  await deps.failures.deadLetter(item, reason, description);
  deps.logger.error(`Work item dead-lettered: ${reason}`, { ...props, reason, description });
  return { kind: 'failed', target: item.target, code: error.code, reason: description };
}
