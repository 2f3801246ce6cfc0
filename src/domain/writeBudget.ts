/**
 * Client-side model of ARM's write throttling (a token bucket per subscription: 200 writes, refilled at
 * 10 per second, as published). Before each write the caller reserves a token and learns how long to wait;
 * after each response it tells the model what ARM said (`x-ms-ratelimit-remaining-subscription-writes`,
 * `Retry-After`), so several instances sharing one subscription converge on ARM's own count.
 * Pure arithmetic: time is passed in.
 */

export interface WriteBudgetSettings {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Azure Resource Manager's published per-subscription write bucket. */
export const ARM_WRITE_BUCKET: WriteBudgetSettings = { capacity: 200, refillPerSecond: 10 };

interface Bucket {
  tokens: number;
  at: number;
  blockedUntil: number;
}

export class WriteBudget {
  readonly #settings: WriteBudgetSettings;
  readonly #buckets = new Map<string, Bucket>();

  constructor(settings: WriteBudgetSettings = ARM_WRITE_BUCKET) {
    this.#settings = settings;
  }

  /** Reserves one write; returns the milliseconds to wait before sending it (0 = now). */
  reserve(scope: string, nowMs: number): number {
    const b = this.#refill(scope, nowMs);
    b.tokens -= 1;
    const tokenWait = b.tokens >= 0 ? 0 : (-b.tokens / this.#settings.refillPerSecond) * 1000;
    return Math.ceil(Math.max(tokenWait, b.blockedUntil - nowMs, 0));
  }

  /** Gives back a reservation that was not used (the write was not sent). */
  release(scope: string, nowMs: number): void {
    const b = this.#refill(scope, nowMs);
    b.tokens = Math.min(this.#settings.capacity, b.tokens + 1);
  }

  /** ARM reported how many writes remain: never believe in more than that. */
  observeRemaining(scope: string, remaining: number, nowMs: number): void {
    const b = this.#refill(scope, nowMs);
    if (remaining < b.tokens) b.tokens = remaining;
  }

  /** ARM answered 429: no write before Retry-After has passed, and the bucket is empty. */
  observeThrottled(scope: string, retryAfterMs: number, nowMs: number): void {
    const b = this.#refill(scope, nowMs);
    b.tokens = Math.min(b.tokens, 0);
    b.blockedUntil = Math.max(b.blockedUntil, nowMs + retryAfterMs);
  }

  #refill(scope: string, nowMs: number): Bucket {
    const key = scope.toLowerCase();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: this.#settings.capacity, at: nowMs, blockedUntil: 0 };
      this.#buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.at);
    b.tokens = Math.min(this.#settings.capacity, b.tokens + (elapsed / 1000) * this.#settings.refillPerSecond);
    b.at = nowMs;
    return b;
  }
}
