import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Timer } from '@azure/functions';
import { InvalidScheduleError, scheduleTimer } from '../../../src/local/host/scheduleTimer.js';

describe('Function: scheduleTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-08-03T02:59:50.000Z')); // a Sunday, ten seconds before 03:00 UTC
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires on the six-field NCRONTAB schedule in UTC with a Timer input', async () => {
    // Prepare
    const runs: Timer[] = [];
    const timer = scheduleTimer('sync', '0 0 3 * * 0', (t) => {
      runs.push(t);
      return Promise.resolve();
    });

    // Act: to just before 03:00, then past it
    expect(timer.next()?.toISOString()).toBe('2025-08-03T03:00:00.000Z');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    timer.stop();

    // Assess
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ isPastDue: false, scheduleStatus: { next: '2025-08-10T03:00:00.000Z' } });
  });

  it('does not start a run while the previous one is still going', async () => {
    // Prepare
    let started = 0;
    let release!: () => void;
    const timer = scheduleTimer('slow', '* * * * * *', async () => {
      started++;
      await new Promise<void>((r) => (release = r));
    });

    // Act
    await vi.advanceTimersByTimeAsync(5_000);
    timer.stop();
    release();

    // Assess
    expect(started).toBe(1);
  });

  it.each(['0 3 * * 0', 'not a schedule at all x', '99 0 3 * * 0'])('rejects "%s"', (schedule) => {
    expect(() => scheduleTimer('f', schedule, () => Promise.resolve())).toThrow(InvalidScheduleError);
  });
});
