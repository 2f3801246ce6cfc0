/**
 * Timer triggers on their NCRONTAB schedules (six fields, seconds first, UTC like the Functions host without
 * WEBSITE_TIME_ZONE), with `runOnStartup` and no overlapping runs of one function (the host's singleton lock).
 */
import type { Timer } from '@azure/functions';
import { Cron } from 'croner';

/** Thrown when a schedule is not a six-field NCRONTAB expression croner can run. */
export class InvalidScheduleError extends Error {
  constructor(
    readonly functionName: string,
    readonly schedule: string,
    options?: { cause?: unknown },
  ) {
    super(`function ${functionName}: schedule "${schedule}" is not a valid six-field NCRONTAB expression`, options);
    this.name = 'InvalidScheduleError';
  }
}

export interface ScheduledTimer {
  readonly functionName: string;
  readonly schedule: string;
  /** Next occurrence, if any. */
  next(): Date | undefined;
  stop(): void;
}

/**
 * Builds the Timer object a timer function receives for an occurrence.
 * @param last The previous occurrence (the current one when fired by the schedule).
 */
export function timerInput(last: Date | undefined, next: Date | undefined, isPastDue = false): Timer {
  const now = new Date().toISOString();
  return {
    isPastDue,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: last?.toISOString() ?? now, next: next?.toISOString() ?? '', lastUpdated: now },
  };
}

/** Starts firing `run` on `schedule`; a run still going when the next occurrence comes makes it skip. */
export function scheduleTimer(
  functionName: string,
  schedule: string,
  run: (timer: Timer) => Promise<void>,
): ScheduledTimer {
  if (schedule.trim().split(/\s+/).length !== 6) throw new InvalidScheduleError(functionName, schedule);
  let job: Cron;
  try {
    job = new Cron(schedule, { timezone: 'UTC', protect: true, catch: true, unref: true, domAndDow: true }, async (self: Cron) => {
      await run(timerInput(self.currentRun() ?? new Date(), self.nextRun() ?? undefined));
    });
  } catch (cause) {
    throw new InvalidScheduleError(functionName, schedule, { cause });
  }
  return {
    functionName,
    schedule,
    next: () => job.nextRun() ?? undefined,
    stop: () => job.stop(),
  };
}
