/**
 * Measures how many calls of a port run at once: wrap a fake's method with {@link ConcurrencyProbe.around}, and
 * after the use case `max` is the most calls that were in flight together. Each wrapped call first waits a
 * macrotask, so calls started together do overlap (an in-memory fake would otherwise answer before the next starts).
 */
export class ConcurrencyProbe {
  #inFlight = 0;
  #max = 0;

  /** The most calls that were in flight at the same time. */
  get max(): number {
    return this.#max;
  }

  /** Runs `call` as one call in flight. */
  async around<R>(call: () => Promise<R>): Promise<R> {
    this.#inFlight += 1;
    this.#max = Math.max(this.#max, this.#inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return await call();
    } finally {
      this.#inFlight -= 1;
    }
  }
}
