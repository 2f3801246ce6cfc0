import type { Clock } from '../../../src/app/ports.js';

/** A Clock that stands still until told to move. Starts at 2026-01-01T00:00:00Z unless given a time. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Moves time forward by `ms` (negative moves it back). */
  advance(ms: number): void {
    this.#now += ms;
  }

  set(at: Date | string | number): void {
    this.#now = new Date(at).getTime();
  }
}
