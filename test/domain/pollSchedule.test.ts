import { describe, expect, it } from 'vitest';
import { PollSchedule } from '../../src/domain/pollSchedule.js';

/** Runs `n` operations of `kind` through the schedule; returns polls per operation. */
function run(schedule: PollSchedule, kind: string, durations: () => number, n: number): number[] {
  const polls: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = durations();
    let t = 0;
    let k = 0;
    for (;;) {
      t += schedule.delayMs(kind, k);
      k += 1;
      const done = t >= d;
      if (k === 1) schedule.observeFirstPoll(kind, t, done);
      if (done) break;
    }
    polls.push(k);
  }
  return polls;
}

describe('PollSchedule', () => {
  it('polls first when an operation of the kind is expected to be done (the recorded 10 s before anything is learned)', () => {
    const schedule = new PollSchedule();

    expect(schedule.delayMs('serverKey', 0)).toBe(10_000);
  });

  it('polls a running operation again after a fraction of the expected duration, growing', () => {
    const schedule = new PollSchedule();

    expect([1, 2, 3].map((k) => schedule.delayMs('serverKey', k))).toEqual([1_500, 2_250, 3_375]);
  });

  it("never polls before ARM's Retry-After", () => {
    const schedule = new PollSchedule();

    expect(schedule.delayMs('serverKey', 1, 4_000)).toBe(4_000);
  });

  it('learns a shorter duration from operations found done at the first poll', () => {
    // Prepare
    const schedule = new PollSchedule();

    // Act
    run(schedule, 'encryptionProtector', () => 2_000, 200);

    // Assess
    expect(schedule.expectedMs('encryptionProtector')).toBeGreaterThanOrEqual(2_000 * 0.9);
    expect(schedule.expectedMs('encryptionProtector')).toBeLessThan(2_000 * 1.2);
  });

  it('learns a longer duration from operations still running at the first poll', () => {
    // Prepare
    const schedule = new PollSchedule({ initialExpectedMs: 1_000 });

    // Act
    run(schedule, 'serverKey', () => 10_000, 100);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBeGreaterThanOrEqual(9_000);
    expect(schedule.expectedMs('serverKey')).toBeLessThan(12_000);
  });

  it('needs one or two polls per operation once learned, about 1.2 on average for durations that vary', () => {
    // Prepare
    const schedule = new PollSchedule();
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    run(schedule, 'serverKey', () => 9_000 + 2_000 * random(), 300);

    // Act
    const polls = run(schedule, 'serverKey', () => 9_000 + 2_000 * random(), 1_000);
    const mean = polls.reduce((a, b) => a + b, 0) / polls.length;

    // Assess
    expect(Math.max(...polls)).toBeLessThanOrEqual(2);
    expect(mean).toBeGreaterThan(1.1);
    expect(mean).toBeLessThan(1.35);
  });

  it('keeps kinds apart', () => {
    // Prepare
    const schedule = new PollSchedule();

    // Act
    run(schedule, 'encryptionProtector', () => 1_000, 200);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBe(10_000);
  });

  it('ignores a late poll that found the operation done (it waited for a read token)', () => {
    // Prepare
    const schedule = new PollSchedule();

    // Act
    schedule.observeFirstPoll('serverKey', 40_000, true);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBe(10_000);
  });

  it.each([
    ['just past 1.5 times the estimate is ignored', 15_001, 10_000],
    ['at 1.5 times the estimate is learnt from', 15_000, 15_000 * (1 - 1 * (1 - 0.5))],
  ])('a done poll %s, even with a learning rate that would lower the estimate', (_label, elapsedMs, expected) => {
    // Prepare: learningRate 1 and quantile 0.5 halve the poll's time, below the estimate of 10 s.
    const schedule = new PollSchedule({ learningRate: 1, quantile: 0.5 });

    // Act
    schedule.observeFirstPoll('serverKey', elapsedMs, true);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBe(expected);
  });
});

describe('PollSchedule with operations polled at the same moment', () => {
  it('moves the estimate once for a wave of operations that all miss, not once per operation', () => {
    // Prepare
    const schedule = new PollSchedule();

    // Act
    for (let i = 0; i < 200; i++) schedule.observeFirstPoll('serverKey', 10_000, false);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBe(10_800);
  });

  it('moves the estimate once for a wave of operations that all finish', () => {
    // Prepare
    const schedule = new PollSchedule();

    // Act
    for (let i = 0; i < 200; i++) schedule.observeFirstPoll('serverKey', 10_000, true);

    // Assess
    expect(schedule.expectedMs('serverKey')).toBe(9_800);
  });
});
