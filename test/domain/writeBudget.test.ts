import { describe, expect, it } from 'vitest';
import { ARM_WRITE_BUCKET, WriteBudget } from '../../src/domain/writeBudget.js';

const SUB = '00000000-0000-0000-0000-000000000001';

describe('WriteBudget', () => {
  it("lets ARM's published burst of 200 writes through at once, then paces at 10 per second", () => {
    const budget = new WriteBudget(ARM_WRITE_BUCKET);
    const waits = Array.from({ length: 220 }, () => budget.reserve(SUB, 0));

    expect(waits.slice(0, 200).every((w) => w === 0)).toBe(true);
    expect(waits[200]).toBe(100);
    expect(waits[219]).toBe(2_000);
  });

  it('refills with time', () => {
    const budget = new WriteBudget({ capacity: 10, refillPerSecond: 10 });
    for (let i = 0; i < 10; i++) budget.reserve(SUB, 0);

    expect(budget.reserve(SUB, 500)).toBe(0);
  });

  it('believes ARM when it reports fewer remaining writes than the model', () => {
    const budget = new WriteBudget(ARM_WRITE_BUCKET);
    budget.observeRemaining(SUB, 0, 0);

    expect(budget.reserve(SUB, 0)).toBe(100);
  });

  it('holds every write until Retry-After has passed after a 429', () => {
    const budget = new WriteBudget(ARM_WRITE_BUCKET);
    budget.observeThrottled(SUB, 7_000, 1_000);

    expect(budget.reserve(SUB, 1_000)).toBeGreaterThanOrEqual(7_000);
  });

  it('keeps subscriptions apart', () => {
    const budget = new WriteBudget({ capacity: 1, refillPerSecond: 1 });
    budget.reserve(SUB, 0);

    expect(budget.reserve('00000000-0000-0000-0000-000000000002', 0)).toBe(0);
  });

  it('gives a released reservation back', () => {
    const budget = new WriteBudget({ capacity: 1, refillPerSecond: 1 });
    budget.reserve(SUB, 0);
    budget.release(SUB, 0);

    expect(budget.reserve(SUB, 0)).toBe(0);
  });
});
