/**
 * When to poll a long-running ARM operation, learned from the operations of the same kind that came before.
 *
 * A fixed 2 s interval (the SDK's default) costs five status reads for a 10 s server-key operation, and ARM's read
 * bucket (25 per second per subscription) is then spent on polls. Instead, the first poll goes out when an
 * operation of this kind is expected to be done: the `quantile` (default 0.8) of their durations, tracked by
 * stochastic approximation from the first poll's answer (done: the estimate shrinks a little; still running: it
 * grows four times as much), so four operations in five need one poll. One still running gets polled again after
 * a fraction of the expected duration, growing, so a much longer operation costs a few polls, not dozens.
 *
 * Pure arithmetic: the caller measures time (from the moment ARM accepted the operation) and sleeps.
 */

export interface PollScheduleSettings {
  /** Expected duration of a kind nothing has been learned about (the azure-cli recording: about 10 s). */
  readonly initialExpectedMs: number;
  /** Share of operations the first poll should find done. */
  readonly quantile: number;
  /** How far one observation moves the estimate, as a share of it. */
  readonly learningRate: number;
  /** Delay of the second poll, as a share of the expected duration; later ones grow by `backoff`. */
  readonly retryFraction: number;
  readonly backoff: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_POLL_SCHEDULE: PollScheduleSettings = {
  initialExpectedMs: 10_000,
  quantile: 0.8,
  learningRate: 0.1,
  retryFraction: 0.15,
  backoff: 1.5,
  minDelayMs: 250,
  maxDelayMs: 60_000,
};

/** Learned poll times per kind of operation (e.g. `serverKey`, `encryptionProtector`). */
export class PollSchedule {
  readonly #settings: PollScheduleSettings;
  readonly #expected = new Map<string, number>();

  constructor(settings: Partial<PollScheduleSettings> = {}, initial: Readonly<Record<string, number>> = {}) {
    this.#settings = { ...DEFAULT_POLL_SCHEDULE, ...settings };
    for (const [kind, ms] of Object.entries(initial)) this.#expected.set(kind, ms);
  }

  /** Current estimate of the `quantile` of the kind's durations, in milliseconds. */
  expectedMs(kind: string): number {
    return this.#expected.get(kind) ?? this.#settings.initialExpectedMs;
  }

  /**
   * Milliseconds from the operation's acceptance (or from the previous poll, for `pollsSoFar` > 0) to the next
   * poll. `retryAfterMs`, when ARM sent one, is a floor.
   */
  delayMs(kind: string, pollsSoFar: number, retryAfterMs?: number): number {
    const s = this.#settings;
    const expected = this.expectedMs(kind);
    const planned = pollsSoFar === 0 ? expected : expected * s.retryFraction * s.backoff ** (pollsSoFar - 1);
    return Math.round(Math.min(s.maxDelayMs, Math.max(s.minDelayMs, planned, retryAfterMs ?? 0)));
  }

  /** The first poll of an operation, `elapsedMs` after its acceptance, found it `done` or still running. */
  observeFirstPoll(kind: string, elapsedMs: number, done: boolean): void {
    const s = this.#settings;
    const expected = this.expectedMs(kind);
    // A poll that came late (it waited for a read token) and found the operation done says little about a
    // shorter estimate; one that found it running says the estimate is too short whenever it was sent.
    if (done && elapsedMs > expected * 1.5) return;
    // Steps are taken from the poll's own time, not from the estimate: a hundred operations polled at the same
    // moment carry one piece of evidence, and must move the estimate once, not a hundred times over.
    const next = done
      ? Math.min(expected, elapsedMs * (1 - s.learningRate * (1 - s.quantile)))
      : Math.max(expected, elapsedMs * (1 + s.learningRate * s.quantile));
    this.#expected.set(kind, Math.min(s.maxDelayMs, Math.max(s.minDelayMs, next)));
  }
}
