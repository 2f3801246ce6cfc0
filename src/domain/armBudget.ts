/**
 * Client-side model of Azure Resource Manager's throttling: per subscription, one token bucket for reads (250,
 * refilled 25 per second) and one for writes (200, refilled 10 per second), as Microsoft publishes them. Before
 * each request the caller takes a token of the request's kind ({@link ArmBudget.tryTake}); after each answer it
 * tells the model what ARM said ({@link ArmBudget.observe}): `x-ms-ratelimit-remaining-subscription-reads` /
 * `-writes`, or a 429 with `Retry-After`.
 *
 * ARM's headers are the same for every client of the subscription, so several instances that follow them
 * cooperate without talking to each other:
 * - The model's level is corrected to ARM's count on every answer (both ways: ARM may have refilled more, or
 *   other clients may have spent more, than the model thought).
 * - What other clients spend is estimated from those corrections (the part of the drop the model did not predict,
 *   averaged over a few seconds) and subtracted from the refill, so each instance paces at the rate it is left.
 * - At most `maxUnconfirmed` tokens per subscription and kind are granted before ARM has answered for them: a
 *   fresh instance does not spend a bucket that others are already spending; the overshoot of N instances
 *   starting at once is bounded by N x maxUnconfirmed.
 * - A small reserve stays unspent, so the estimation error of several instances lands in the reserve, not in 429s.
 *
 * Pure arithmetic: time is passed in; waiting is the caller's business (see src/azure/armBudgetPolicy.ts).
 */

/** The two ARM throttling buckets. */
export type ArmRequestKind = 'read' | 'write';

/** Size of one token bucket. */
export interface BucketSize {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Azure Resource Manager's published per-subscription buckets. */
export const ARM_BUCKETS: Readonly<Record<ArmRequestKind, BucketSize>> = {
  read: { capacity: 250, refillPerSecond: 25 },
  write: { capacity: 200, refillPerSecond: 10 },
};

export interface ArmBudgetSettings {
  readonly buckets: Readonly<Record<ArmRequestKind, BucketSize>>;
  /** Tokens granted per subscription and kind whose answer has not come back yet, at most. */
  readonly maxUnconfirmed: number;
  /** Share of each bucket left unspent as a margin for estimation errors (0.05 = 10 writes, 12.5 reads). */
  readonly reserveFraction: number;
  /** Window over which other clients' consumption is averaged. */
  readonly othersWindowMs: number;
  /** A grant with no answer after this long no longer holds a place in the unconfirmed window (a hung request). */
  readonly unconfirmedTimeoutMs: number;
}

export const DEFAULT_ARM_BUDGET_SETTINGS: ArmBudgetSettings = {
  buckets: ARM_BUCKETS,
  maxUnconfirmed: 4,
  reserveFraction: 0.05,
  othersWindowMs: 5_000,
  unconfirmedTimeoutMs: 30_000,
};

/** What ARM answered to a request that held a token. */
export interface ArmAnswer {
  readonly status: number;
  /** `x-ms-ratelimit-remaining-subscription-{reads|writes}`, when sent. */
  readonly remaining?: number;
  /** `Retry-After` of a 429, in milliseconds. */
  readonly retryAfterMs?: number;
}

/** The result of {@link ArmBudget.tryTake}. */
export type TakeResult =
  | { readonly granted: true; readonly ticket: number }
  /** `retryInMs`: when to ask again if nothing else happens (an answer coming back is also a reason to ask again). */
  | { readonly granted: false; readonly retryInMs: number | undefined };

interface Bucket {
  readonly size: BucketSize;
  readonly reserve: number;
  /** The model's estimate of ARM's level at `at`, after every token this instance was granted. */
  level: number;
  at: number;
  /** Tokens per second other clients are estimated to spend. */
  othersRate: number;
  /** Unpredicted consumption seen in answers, oldest first, and their sum. */
  readonly samples: { at: number; amount: number }[];
  samplesSum: number;
  firstObservedAt: number | undefined;
  lastObservedAt: number | undefined;
  blockedUntil: number;
  nextTicket: number;
  /** Tickets granted and not answered yet, with the time they were granted. */
  readonly unanswered: Map<number, number>;
}

/** ARM's per-subscription read and write buckets, as one client sees them. */
export class ArmBudget {
  readonly #settings: ArmBudgetSettings;
  readonly #buckets = new Map<string, Bucket>();

  constructor(settings: Partial<ArmBudgetSettings> = {}) {
    this.#settings = { ...DEFAULT_ARM_BUDGET_SETTINGS, ...settings };
  }

  /** Takes one token now, or says how long to wait before asking again. */
  tryTake(subscriptionId: string, kind: ArmRequestKind, nowMs: number): TakeResult {
    const b = this.#advance(subscriptionId, kind, nowMs);
    if (nowMs < b.blockedUntil) return { granted: false, retryInMs: b.blockedUntil - nowMs };
    if (b.unanswered.size >= this.#settings.maxUnconfirmed) {
      const expired = nowMs - this.#settings.unconfirmedTimeoutMs;
      for (const [t, at] of b.unanswered) if (at <= expired) b.unanswered.delete(t);
    }
    if (b.unanswered.size >= this.#settings.maxUnconfirmed) {
      // Normally an answer comes first (the caller tries again then); the timer only covers a hung request.
      const oldest = Math.min(...b.unanswered.values());
      return { granted: false, retryInMs: Math.max(1, oldest + this.#settings.unconfirmedTimeoutMs - nowMs) };
    }
    const need = 1 + b.reserve;
    if (b.level >= need) {
      b.level -= 1;
      const ticket = b.nextTicket++;
      b.unanswered.set(ticket, nowMs);
      return { granted: true, ticket };
    }
    return { granted: false, retryInMs: Math.max(1, Math.ceil(((need - b.level) / netRefill(b)) * 1000)) };
  }

  /**
   * Milliseconds until a caller with `ahead` others queued before it would get a token, if nothing changes:
   * lets a caller decide between waiting in process and rescheduling.
   */
  estimateWaitMs(subscriptionId: string, kind: ArmRequestKind, ahead: number, nowMs: number): number {
    const b = this.#advance(subscriptionId, kind, nowMs);
    const tokenWait = ((ahead + 1 + b.reserve - b.level) / netRefill(b)) * 1000;
    return Math.ceil(Math.max(0, tokenWait, b.blockedUntil - nowMs));
  }

  /** ARM answered the request that held `ticket`: correct the model from its headers. */
  observe(subscriptionId: string, kind: ArmRequestKind, ticket: number, answer: ArmAnswer, nowMs: number): void {
    const b = this.#advance(subscriptionId, kind, nowMs);
    b.unanswered.delete(ticket);
    if (answer.status === 429) {
      // The request was not counted; ARM's bucket is empty for at least Retry-After.
      b.level = Math.min(b.level, 0);
      b.blockedUntil = Math.max(b.blockedUntil, nowMs + (answer.retryAfterMs ?? 1_000));
      return;
    }
    if (answer.remaining === undefined || !Number.isFinite(answer.remaining)) return;
    // Tokens granted after this one and still unanswered: ARM has most likely not counted them yet.
    let after = 0;
    for (const t of b.unanswered.keys()) if (t > ticket) after += 1;
    // ARM reports whole tokens: its level lies in [remaining, remaining + 1).
    const low = answer.remaining - after;
    const high = low + 1;
    const unexpected = b.level >= high ? b.level - high : b.level < low ? b.level - low : 0;
    if (b.lastObservedAt !== undefined) {
      const amount = (b.othersRate * (nowMs - b.lastObservedAt)) / 1000 + unexpected;
      b.samples.push({ at: nowMs, amount });
      b.samplesSum += amount;
    }
    b.firstObservedAt ??= nowMs;
    b.lastObservedAt = nowMs;
    this.#estimateOthers(b, nowMs);
    // ARM's floor, not the middle of the interval: half a token of optimism is a 429 when the bucket is empty.
    b.level = low;
  }

  /** The request that held `ticket` got no answer (transport error): ARM may or may not have counted it. */
  abandon(subscriptionId: string, kind: ArmRequestKind, ticket: number, nowMs: number): void {
    this.#advance(subscriptionId, kind, nowMs).unanswered.delete(ticket);
  }

  /** The model's current view, for logs and tests. */
  snapshot(subscriptionId: string, kind: ArmRequestKind, nowMs: number): { level: number; othersPerSecond: number; unconfirmed: number; blockedForMs: number } {
    const b = this.#advance(subscriptionId, kind, nowMs);
    return { level: b.level, othersPerSecond: b.othersRate, unconfirmed: b.unanswered.size, blockedForMs: Math.max(0, b.blockedUntil - nowMs) };
  }

  #advance(subscriptionId: string, kind: ArmRequestKind, nowMs: number): Bucket {
    const key = `${subscriptionId.toLowerCase()}/${kind}`;
    let b = this.#buckets.get(key);
    if (!b) {
      const size = this.#settings.buckets[kind];
      b = {
        size,
        reserve: size.capacity * this.#settings.reserveFraction,
        level: size.capacity,
        at: nowMs,
        othersRate: 0,
        samples: [],
        samplesSum: 0,
        firstObservedAt: undefined,
        lastObservedAt: undefined,
        blockedUntil: 0,
        nextTicket: 1,
        unanswered: new Map(),
      };
      this.#buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.at);
    if (elapsed > 0) {
      b.level = Math.min(b.size.capacity, b.level + (netRefill(b) * elapsed) / 1000);
      b.at = nowMs;
      this.#estimateOthers(b, nowMs);
    }
    return b;
  }

  /** Others' rate over the window; it decays as samples age, so a burst seen once is not held against them. */
  #estimateOthers(b: Bucket, nowMs: number): void {
    const windowStart = nowMs - this.#settings.othersWindowMs;
    while (b.samples.length > 0 && (b.samples[0]?.at ?? Infinity) < windowStart) b.samplesSum -= b.samples.shift()?.amount ?? 0;
    if (b.firstObservedAt === undefined) return;
    const span = Math.max(1_000, Math.min(this.#settings.othersWindowMs, nowMs - b.firstObservedAt));
    b.othersRate = clamp((b.samplesSum / span) * 1000, 0, b.size.refillPerSecond);
  }
}

/** Refill left for this client; never below 10% of ARM's, so a wait always ends and gets corrected. */
function netRefill(b: Bucket): number {
  return Math.max(b.size.refillPerSecond - b.othersRate, b.size.refillPerSecond * 0.1);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
