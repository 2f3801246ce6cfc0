/**
 * A KeyReader that remembers versioned reads for a short time. A fan-out to a thousand servers asks about
 * the same key version a thousand times; a version's properties rarely change within a minute, and when
 * they do (disabled), the next read after the TTL sees it.
 */
import type { KeyId } from '../domain/keyId.js';
import type { Clock, KeyReader, KeyVersionProperties, KeyVersionSummary } from './ports.js';

export class CachedKeyReader implements KeyReader {
  readonly #inner: KeyReader;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; value: Promise<KeyVersionProperties> }>();

  constructor(inner: KeyReader, clock: Clock, ttlMs = 60_000) {
    this.#inner = inner;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  getKey(key: KeyId): Promise<KeyVersionProperties> {
    // Only versioned reads are cached: "latest" must always ask.
    if (key.version === undefined) return this.#inner.getKey(key);
    const now = this.#clock.now().getTime();
    const hit = this.#cache.get(key.id);
    if (hit && now - hit.at < this.#ttlMs) return hit.value;
    const value = this.#inner.getKey(key);
    this.#cache.set(key.id, { at: now, value });
    // A failed read is not remembered.
    value.catch(() => this.#cache.delete(key.id));
    return value;
  }

  listVersions(key: KeyId): Promise<KeyVersionSummary[]> {
    return this.#inner.listVersions(key);
  }
}
