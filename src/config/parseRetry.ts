import { DEFAULT_RETRY_POLICY } from '../domain/nextDelayMs.js';
import type { RetryPolicy } from '../domain/retryPolicy.js';
import { ConfigProblems, integer, object, type Json } from './configProblems.js';

/** The `retry` section; defaults: DEFAULT_RETRY_POLICY. */
export function parseRetry(p: ConfigProblems, v: Json, path: string): RetryPolicy {
  const d = DEFAULT_RETRY_POLICY;
  if (v === undefined) return d;
  const o = object(p, v, path, ['baseSeconds', 'capSeconds', 'maxAttempts', 'orderDelaySeconds', 'orderMaxAttempts']);
  if (o === undefined) return d;
  const policy: RetryPolicy = {
    baseMs: integer(p, o['baseSeconds'], `${path}.baseSeconds`, 1, d.baseMs / 1000) * 1000,
    capMs: integer(p, o['capSeconds'], `${path}.capSeconds`, 1, d.capMs / 1000) * 1000,
    maxAttempts: integer(p, o['maxAttempts'], `${path}.maxAttempts`, 1, d.maxAttempts),
    orderDelayMs: integer(p, o['orderDelaySeconds'], `${path}.orderDelaySeconds`, 1, d.orderDelayMs / 1000) * 1000,
    orderMaxAttempts: integer(p, o['orderMaxAttempts'], `${path}.orderMaxAttempts`, 1, d.orderMaxAttempts),
  };
  if (policy.capMs < policy.baseMs) {
    p.add(`${path}.capSeconds`, `must be >= baseSeconds (${policy.baseMs / 1000}), got ${policy.capMs / 1000}`);
  }
  return policy;
}
