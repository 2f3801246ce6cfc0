import { describe, expect, it } from 'vitest';
import { ARM_BUCKETS, ArmBudget, type ArmRequestKind } from '../../src/domain/armBudget.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const OTHER = '00000000-0000-0000-0000-000000000002';

/** Takes a token and has ARM answer at once with `remaining` (what ARM would say after counting it). */
function takeAndAnswer(budget: ArmBudget, kind: ArmRequestKind, now: number, remaining: number | undefined): boolean {
  const r = budget.tryTake(SUB, kind, now);
  if (!r.granted) return false;
  budget.observe(SUB, kind, r.ticket, { status: 200, ...(remaining === undefined ? {} : { remaining }) }, now);
  return true;
}

/**
 * ARM's bucket as the emulator and Azure keep it (whole tokens reported), and `clients` instances each trying to
 * send as many requests as their own budget allows, every 10 ms, with a 20 ms round trip.
 */
function simulate(clients: number, seconds: number, size = { capacity: 200, refillPerSecond: 10 }) {
  const budgets = Array.from({ length: clients }, () => new ArmBudget({ buckets: { read: size, write: size } }));
  let tokens = size.capacity;
  let at = 0;
  const arm = (now: number): { status: number; remaining: number; retryAfterMs?: number } => {
    tokens = Math.min(size.capacity, tokens + ((now - at) / 1000) * size.refillPerSecond);
    at = now;
    if (tokens >= 1) {
      tokens -= 1;
      return { status: 200, remaining: Math.floor(tokens) };
    }
    return { status: 429, remaining: 0, retryAfterMs: Math.ceil((1 - tokens) / size.refillPerSecond) * 1000 };
  };
  type Pending = { client: number; ticket: number; arriveAt: number; answerAt: number; answer?: ReturnType<typeof arm> };
  const pending: Pending[] = [];
  let accepted = 0;
  let throttled = 0;
  for (let now = 0; now <= seconds * 1000; now += 5) {
    for (const p of pending) if (!p.answer && p.arriveAt <= now) p.answer = arm(p.arriveAt);
    for (const p of pending.filter((q) => q.answerAt <= now)) {
      budgets[p.client]!.observe(SUB, 'write', p.ticket, p.answer!, now);
      if (p.answer!.status === 429) throttled += 1;
      else accepted += 1;
      pending.splice(pending.indexOf(p), 1);
    }
    if (now % 10 !== 0) continue;
    budgets.forEach((b, client) => {
      for (;;) {
        const r = b.tryTake(SUB, 'write', now);
        if (!r.granted) break;
        pending.push({ client, ticket: r.ticket, arriveAt: now + 10, answerAt: now + 20 });
      }
    });
  }
  return { accepted, throttled };
}

describe('ArmBudget', () => {
  it("grants ARM's burst at once, then paces at the refill rate", () => {
    const budget = new ArmBudget({ reserveFraction: 0 });
    let granted = 0;
    while (takeAndAnswer(budget, 'write', 0, 199 - granted)) granted += 1;

    expect(granted).toBe(200);
    const next = budget.tryTake(SUB, 'write', 0);
    expect(next).toEqual({ granted: false, retryInMs: 100 });
    expect(takeAndAnswer(budget, 'write', 100, 0)).toBe(true);
  });

  it('keeps a reserve of 5% unspent by default', () => {
    const budget = new ArmBudget();
    let granted = 0;
    while (takeAndAnswer(budget, 'write', 0, 199 - granted)) granted += 1;

    expect(granted).toBe(190);
  });

  it('grants no more than maxUnconfirmed tokens before ARM answers for them', () => {
    const budget = new ArmBudget({ maxUnconfirmed: 3 });
    const tickets = [1, 2, 3].map(() => budget.tryTake(SUB, 'write', 0));

    expect(tickets.every((t) => t.granted)).toBe(true);
    expect(budget.tryTake(SUB, 'write', 0)).toEqual({ granted: false, retryInMs: 30_000 });
    const first = tickets[0]!;
    if (first.granted) budget.observe(SUB, 'write', first.ticket, { status: 200, remaining: 197 }, 5);
    expect(budget.tryTake(SUB, 'write', 5).granted).toBe(true);
  });

  it('stops counting a grant that never got an answer after unconfirmedTimeoutMs (a hung request)', () => {
    const budget = new ArmBudget({ maxUnconfirmed: 1, unconfirmedTimeoutMs: 30_000 });
    budget.tryTake(SUB, 'read', 0);

    expect(budget.tryTake(SUB, 'read', 29_999).granted).toBe(false);
    expect(budget.tryTake(SUB, 'read', 30_000).granted).toBe(true);
  });

  it('believes ARM when it reports fewer remaining tokens than the model (others are spending)', () => {
    const budget = new ArmBudget({ reserveFraction: 0 });
    takeAndAnswer(budget, 'write', 0, 0);

    expect(budget.tryTake(SUB, 'write', 0)).toEqual({ granted: false, retryInMs: expect.any(Number) as number });
    expect(budget.snapshot(SUB, 'write', 0).level).toBeLessThan(1);
  });

  it('believes ARM when it reports more remaining tokens than the model (it refilled)', () => {
    // Prepare
    const budget = new ArmBudget({ reserveFraction: 0 });
    for (let i = 0; i < 200; i++) takeAndAnswer(budget, 'write', 0, 199 - i);
    expect(budget.tryTake(SUB, 'write', 0).granted).toBe(false);

    // Act
    const r = budget.tryTake(SUB, 'write', 100);
    if (r.granted) budget.observe(SUB, 'write', r.ticket, { status: 200, remaining: 50 }, 100);

    // Assess
    expect(r.granted).toBe(true);
    expect(budget.snapshot(SUB, 'write', 100).level).toBeGreaterThanOrEqual(50);
  });

  it("counts tokens granted after the answered one as not yet counted by ARM", () => {
    const budget = new ArmBudget({ reserveFraction: 0 });
    const a = budget.tryTake(SUB, 'write', 0);
    budget.tryTake(SUB, 'write', 0);
    budget.tryTake(SUB, 'write', 0);
    if (a.granted) budget.observe(SUB, 'write', a.ticket, { status: 200, remaining: 199 }, 0);

    expect(budget.snapshot(SUB, 'write', 0).level).toBeGreaterThanOrEqual(197);
    expect(budget.snapshot(SUB, 'write', 0).level).toBeLessThan(198);
  });

  it('learns what other clients spend from the headers and paces at the rate they leave', () => {
    const budget = new ArmBudget({ reserveFraction: 0, maxUnconfirmed: 100 });
    // ARM's bucket is empty and another client spends 6 of the 10 tokens refilled each second.
    let arm = 0;
    let granted = 0;
    for (let now = 0; now <= 20_000; now += 50) {
      arm = Math.min(200, arm + 0.5) - 0.3;
      const r = budget.tryTake(SUB, 'write', now);
      if (!r.granted) continue;
      if (arm >= 1) {
        arm -= 1;
        granted += 1;
        budget.observe(SUB, 'write', r.ticket, { status: 200, remaining: Math.floor(arm) }, now);
      } else {
        budget.observe(SUB, 'write', r.ticket, { status: 429, remaining: 0, retryAfterMs: 1_000 }, now);
      }
    }

    expect(budget.snapshot(SUB, 'write', 20_000).othersPerSecond).toBeGreaterThan(4);
    expect(budget.snapshot(SUB, 'write', 20_000).othersPerSecond).toBeLessThan(8);
    expect(granted).toBeGreaterThan(60);
  });

  it('holds every request of the kind until Retry-After has passed after a 429', () => {
    const budget = new ArmBudget();
    const r = budget.tryTake(SUB, 'read', 1_000);
    if (r.granted) budget.observe(SUB, 'read', r.ticket, { status: 429, remaining: 0, retryAfterMs: 7_000 }, 1_000);

    expect(budget.tryTake(SUB, 'read', 1_000)).toEqual({ granted: false, retryInMs: 7_000 });
    expect(budget.estimateWaitMs(SUB, 'read', 0, 1_000)).toBeGreaterThanOrEqual(7_000);
    expect(budget.tryTake(SUB, 'write', 1_000).granted).toBe(true);
  });

  it('keeps subscriptions and kinds apart', () => {
    const budget = new ArmBudget({ buckets: { read: { capacity: 1, refillPerSecond: 1 }, write: { capacity: 1, refillPerSecond: 1 } }, reserveFraction: 0 });
    takeAndAnswer(budget, 'write', 0, 0);

    expect(budget.tryTake(SUB, 'write', 0).granted).toBe(false);
    expect(budget.tryTake(SUB, 'read', 0).granted).toBe(true);
    expect(budget.tryTake(OTHER, 'write', 0).granted).toBe(true);
  });

  it('estimates the wait of a caller with others queued ahead', () => {
    const budget = new ArmBudget({ reserveFraction: 0 });
    for (let i = 0; i < 200; i++) takeAndAnswer(budget, 'write', 0, 199 - i);

    expect(budget.estimateWaitMs(SUB, 'write', 0, 0)).toBe(100);
    expect(budget.estimateWaitMs(SUB, 'write', 99, 0)).toBe(10_000);
  });

  it('lets one client use the whole bucket with no 429', () => {
    const { accepted, throttled } = simulate(1, 60);

    expect(throttled).toBe(0);
    expect(accepted).toBeGreaterThanOrEqual(0.95 * (200 + 10 * 60) - 10);
  });

  it('lets four clients share one bucket through the headers alone with few 429s and the refill used', () => {
    const { accepted, throttled } = simulate(4, 120);

    expect(throttled / (accepted + throttled)).toBeLessThan(0.01);
    expect(accepted).toBeGreaterThanOrEqual(0.95 * (200 + 10 * 120));
  });
});

describe('ArmBudget, corner cases', () => {
  /** A bucket of 200 writes refilled 10 a second, no reserve, whose first answer set the level to `level`. */
  function primed(level: number, settings: ConstructorParameters<typeof ArmBudget>[0] = {}): ArmBudget {
    const budget = new ArmBudget({ reserveFraction: 0, ...settings });
    takeAndAnswer(budget, 'write', 0, level);
    return budget;
  }

  it('frees the place of a grant whose request got no answer (abandon)', () => {
    // Prepare
    const budget = new ArmBudget({ maxUnconfirmed: 1 });
    const r = budget.tryTake(SUB, 'write', 0);

    // Act
    if (r.granted) budget.abandon(SUB, 'write', r.ticket, 0);

    // Assess
    expect(budget.snapshot(SUB, 'write', 0).unconfirmed).toBe(0);
    expect(budget.tryTake(SUB, 'write', 0).granted).toBe(true);
  });

  it('keeps a hung grant in the unconfirmed window while the window still has room', () => {
    const budget = new ArmBudget({ maxUnconfirmed: 2, unconfirmedTimeoutMs: 30_000 });
    budget.tryTake(SUB, 'write', 0);

    expect(budget.tryTake(SUB, 'write', 30_000).granted).toBe(true);
    expect(budget.snapshot(SUB, 'write', 30_000).unconfirmed).toBe(2);
  });

  it('asks to come back when the oldest unanswered grant times out', () => {
    const timeout = 30_000;
    const budget = new ArmBudget({ maxUnconfirmed: 2, unconfirmedTimeoutMs: timeout });
    budget.tryTake(SUB, 'write', 0);
    budget.tryTake(SUB, 'write', 10_000);

    expect(budget.tryTake(SUB, 'write', 20_000)).toEqual({ granted: false, retryInMs: 0 + timeout - 20_000 });
  });

  it('asks to come back when the refill has made up the missing part of a token', () => {
    // Prepare: the bucket is empty at 0; 50 ms of a 10/s refill is half a token.
    const budget = primed(0);

    // Act
    const r = budget.tryTake(SUB, 'write', 50);

    // Assess
    expect(r).toEqual({ granted: false, retryInMs: 50 });
  });

  it('counts the reserve and the level in the estimated wait', () => {
    // Prepare: capacity 20 with a 10% reserve is 2 tokens kept; ARM reports 1 left.
    const budget = new ArmBudget({ buckets: { read: ARM_BUCKETS.read, write: { capacity: 20, refillPerSecond: 10 } }, reserveFraction: 0.1 });
    takeAndAnswer(budget, 'write', 0, 1);

    // Act
    const wait = budget.estimateWaitMs(SUB, 'write', 0, 0);

    // Assess: 1 token for the caller + 2 of reserve - 1 there, at 10 a second.
    expect(wait).toBe(((1 + 2 - 1) / 10) * 1000);
  });

  it('reports exactly the Retry-After of a 429 as the wait, the block and an empty bucket', () => {
    // Prepare
    const budget = new ArmBudget();
    const r = budget.tryTake(SUB, 'read', 1_000);

    // Act
    if (r.granted) budget.observe(SUB, 'read', r.ticket, { status: 429, retryAfterMs: 7_000 }, 1_000);

    // Assess
    expect(budget.estimateWaitMs(SUB, 'read', 0, 1_000)).toBe(7_000);
    expect(budget.snapshot(SUB, 'read', 1_000)).toEqual({ level: 0, othersPerSecond: 0, unconfirmed: 0, blockedForMs: 7_000 });
    expect(budget.snapshot(SUB, 'read', 9_000).blockedForMs).toBe(0);
  });

  it.each([
    ['no header', undefined],
    ['a header that is not a number', Number.NaN],
    ['an infinite count', Number.POSITIVE_INFINITY],
  ])('leaves the model as it is on an answer with %s', (_label, remaining) => {
    // Prepare
    const budget = new ArmBudget();
    const r = budget.tryTake(SUB, 'write', 0);

    // Act
    if (r.granted) budget.observe(SUB, 'write', r.ticket, { status: 200, ...(remaining === undefined ? {} : { remaining }) }, 0);

    // Assess
    expect(budget.snapshot(SUB, 'write', 0)).toEqual({ level: ARM_BUCKETS.write.capacity - 1, othersPerSecond: 0, unconfirmed: 0, blockedForMs: 0 });
  });

  it('does not count grants older than the answered one as uncounted by ARM', () => {
    // Prepare
    const budget = new ArmBudget({ reserveFraction: 0 });
    budget.tryTake(SUB, 'write', 0);
    budget.tryTake(SUB, 'write', 0);
    const third = budget.tryTake(SUB, 'write', 0);

    // Act: ARM counted all three.
    if (third.granted) budget.observe(SUB, 'write', third.ticket, { status: 200, remaining: 197 }, 0);

    // Assess
    expect(budget.snapshot(SUB, 'write', 0).level).toBe(197);
  });

  it("counts what ARM reports below the model's interval as other clients' spending", () => {
    // Prepare: level 100 at 0, 110 after a second of refill, 109 after this take.
    const budget = primed(100);

    // Act: ARM reports 105 left, so its level is below 106: others spent at least 109 - 106 in that second.
    takeAndAnswer(budget, 'write', 1_000, 105);

    // Assess
    expect(budget.snapshot(SUB, 'write', 1_000).othersPerSecond).toBe(109 - 106);
  });

  it("takes a report within the token below the model's level as agreeing with it", () => {
    // Prepare: level 100 at 0, 110.5 after 1.05 s of refill, 109.5 after this take.
    const budget = primed(100);

    // Act: ARM reports 109: its level lies in [109, 110), and so does the model's.
    takeAndAnswer(budget, 'write', 1_050, 109);

    // Assess
    expect(budget.snapshot(SUB, 'write', 1_050).othersPerSecond).toBe(0);
  });

  it('lowers the estimate of what others spend when ARM reports more than the model expected', () => {
    // Prepare: the same history for both: others spent 3 in the first second.
    const [agreeing, refilled] = [primed(100), primed(100)];
    for (const budget of [agreeing, refilled]) takeAndAnswer(budget, 'write', 1_000, 105);
    const expected = Math.floor(agreeing.snapshot(SUB, 'write', 2_000).level) - 1;

    // Act: one answer agrees with the model; the other reports more tokens than the model expected.
    takeAndAnswer(agreeing, 'write', 2_000, expected);
    takeAndAnswer(refilled, 'write', 2_000, expected + 2);

    // Assess
    const others = (budget: ArmBudget): number => budget.snapshot(SUB, 'write', 2_000).othersPerSecond;
    expect(others(refilled)).toBeGreaterThan(0);
    expect(others(refilled)).toBeLessThan(others(agreeing));
  });

  it('keeps a sample of what others spent for exactly othersWindowMs', () => {
    // Prepare: others spent 3 at 1 s, averaged over the 5 s window once it has passed.
    const budget = primed(100, { othersWindowMs: 5_000 });
    takeAndAnswer(budget, 'write', 1_000, 105);

    // Act
    const atEdge = budget.snapshot(SUB, 'write', 6_000).othersPerSecond;
    const after = budget.snapshot(SUB, 'write', 6_001).othersPerSecond;

    // Assess
    expect(atEdge).toBe((3 / 5_000) * 1000);
    expect(after).toBe(0);
  });

  it('refills no time twice when a caller passes an earlier time than the last one', () => {
    // Prepare: an empty bucket at 0, 10 tokens at 1 s.
    const budget = primed(0);
    expect(budget.snapshot(SUB, 'write', 1_000).level).toBe(10);

    // Act
    const earlier = budget.snapshot(SUB, 'write', 500).level;
    const again = budget.snapshot(SUB, 'write', 1_000).level;

    // Assess
    expect(earlier).toBe(10);
    expect(again).toBe(10);
  });
});
