/** A Map that refuses changes once built (Object.freeze does not stop Map.prototype.set). */
export class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    this.#sealed = true;
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('configuration is frozen');
    return super.set(key, value);
  }
  override delete(): boolean {
    throw new TypeError('configuration is frozen');
  }
  override clear(): void {
    throw new TypeError('configuration is frozen');
  }
}
