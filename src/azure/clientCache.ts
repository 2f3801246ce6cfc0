/**
 * One SDK client per key (a vault URL, a subscription), built on first use and kept for the life of the process:
 * a client holds its pipeline, token cache and connections, so the adapters build one per vault or subscription
 * rather than one per call.
 */
export class ClientCache<T> {
  readonly #clients = new Map<string, T>();
  readonly #build: (key: string) => T;
  readonly #normalize: (key: string) => string;

  /**
   * @param build - makes the client of a key (called with the key as first asked for).
   * @param normalize - the form under which keys are the same (default: as given).
   */
  constructor(build: (key: string) => T, normalize: (key: string) => string = (key) => key) {
    this.#build = build;
    this.#normalize = normalize;
  }

  get(key: string): T {
    const k = this.#normalize(key);
    let client = this.#clients.get(k);
    if (client === undefined) {
      client = this.#build(key);
      this.#clients.set(k, client);
    }
    return client;
  }
}
