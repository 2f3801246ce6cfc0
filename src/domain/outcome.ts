/** Expected outcomes are values, not throws. One per (server, key version) or (sync agent, rotation). */
import type { ErrorCode } from './errors.js';

/**
 * `keyVersion`, on a reconciled target: the key version it converged to (the desired version of that run), so that
 * an outcome line says which version a versionless work item ended on.
 */
export type Outcome =
  | { readonly kind: 'rotated'; readonly target: string; readonly detail: string; readonly keyVersion?: string }
  | { readonly kind: 'skipped'; readonly target: string; readonly reason: string; readonly keyVersion?: string }
  | {
      readonly kind: 'deferred';
      readonly target: string;
      readonly code: ErrorCode;
      readonly reason: string;
      /** When the retry was scheduled for (ISO), if it was. */
      readonly retryAt?: string;
    }
  | { readonly kind: 'failed'; readonly target: string; readonly code: ErrorCode; readonly reason: string };

export type OutcomeKind = Outcome['kind'];

/** Counts per kind, for the one summary line per event or run. */
export function summarize(outcomes: readonly Outcome[]): Record<OutcomeKind, number> {
  const counts: Record<OutcomeKind, number> = { rotated: 0, skipped: 0, deferred: 0, failed: 0 };
  for (const o of outcomes) counts[o.kind] += 1;
  return counts;
}
