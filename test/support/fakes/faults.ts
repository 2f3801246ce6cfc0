/**
 * Fault injection shared by the fakes: per target (case-insensitive), a list of errors to throw on the next
 * calls, or one error to throw on every call.
 */
export class Faults {
  #next = new Map<string, Error[]>();
  #always = new Map<string, Error>();

  /** The next calls for `target` throw these errors, one per call, in order. */
  failNext(target: string, ...errors: Error[]): void {
    const key = target.toLowerCase();
    this.#next.set(key, [...(this.#next.get(key) ?? []), ...errors]);
  }

  /** Every call for `target` throws `error` until cleared. */
  failAlways(target: string, error: Error): void {
    this.#always.set(target.toLowerCase(), error);
  }

  clear(target?: string): void {
    if (target === undefined) {
      this.#next.clear();
      this.#always.clear();
      return;
    }
    this.#next.delete(target.toLowerCase());
    this.#always.delete(target.toLowerCase());
  }

  /** The planned error for this call on `target`, if any (consumes a `failNext` error). */
  take(target: string): Error | undefined {
    const key = target.toLowerCase();
    return this.#next.get(key)?.shift() ?? this.#always.get(key);
  }
}
