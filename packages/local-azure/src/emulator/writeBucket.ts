/**
 * ARM's per-subscription throttles as token buckets (Azure's published sizes: writes 200 tokens refilled at 10
 * per second, reads 250 refilled at 25 per second; one bucket of each kind per subscription). Time comes from an
 * injected clock so tests need no sleeps.
 */

/** Bucket sizes. */
export interface WriteBucketOptions {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Azure Resource Manager's published per-subscription write limits. */
export const AZURE_WRITE_BUCKET: WriteBucketOptions = { capacity: 200, refillPerSecond: 10 };

/** Azure Resource Manager's published per-subscription read limits. */
export const AZURE_READ_BUCKET: WriteBucketOptions = { capacity: 250, refillPerSecond: 25 };

/** What one write attempt got. */
export type BucketDecision = { readonly allowed: true; readonly remaining: number } | { readonly allowed: false; readonly remaining: 0; readonly retryAfterSeconds: number };

/** Token buckets keyed by subscription id (the class serves the read bucket as well). */
export class WriteBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: WriteBucketOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one token for a request in the subscription, or says how long to wait. */
  take(subscriptionId: string): BucketDecision {
    const now = this.clock();
    const key = subscriptionId.toLowerCase();
    const b = this.buckets.get(key) ?? { tokens: this.options.capacity, at: now };
    b.tokens = Math.min(this.options.capacity, b.tokens + ((now - b.at) / 1000) * this.options.refillPerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / this.options.refillPerSecond));
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }

  /** Refills every bucket. */
  reset(): void {
    this.buckets.clear();
  }
}
