import { describe, expect, it } from 'vitest';
import { ArmBudget, type ArmRequestKind } from '../../src/domain/armBudget.js';

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
