/**
 * One holder per key at a time, within a process: two work items for the same target that land on one
 * instance run one after the other. Across instances, Service Bus sessions (one per target) do the same.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier holder of `key` (case-insensitive) is done. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    const previous = this.#tails.get(k) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(k, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(k) === tail) this.#tails.delete(k);
    }
  }

  /** Keys currently held or waited for (for tests and diagnostics). */
  get size(): number {
    return this.#tails.size;
  }
}
