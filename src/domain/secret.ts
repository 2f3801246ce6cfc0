/**
 * A secret value (a sync-agent key) that refuses to be printed: JSON, string conversion and util.inspect all
 * give `[redacted]`. Only {@link Secret.reveal} returns it, and only the secret store adapter calls that.
 */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value itself. Call it only where it is written to its store. */
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [INSPECT](): string {
    return 'Secret([redacted])';
  }
}
