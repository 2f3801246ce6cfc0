/** How the durable retry queue spaces and bounds the attempts of a work item (ROTATION_CONFIG `retry`). */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Waiting-on-order (geo secondaries not ready): fixed-ish schedule of its own. */
  readonly orderDelayMs: number;
  readonly orderMaxAttempts: number;
}
