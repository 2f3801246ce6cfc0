import type { KeyReader, KeyVersionProperties, KeyVersionSummary } from '../../../src/app/ports.js';
import { RotationError } from '../../../src/domain/errors.js';
import type { KeyId } from '../../../src/domain/keyId.js';
import { Faults } from './faults.js';

/** In-memory key versions, keyed by versioned id. `reads` counts getKey calls. Faults keyed by versioned id. */
export class FakeKeyReader implements KeyReader {
  readonly faults = new Faults();
  /** Faults of listVersions, keyed by versionless id. */
  readonly listFaults = new Faults();
  reads = 0;
  readonly #versions = new Map<string, KeyVersionProperties>();

  add(props: KeyVersionProperties): this {
    this.#versions.set(props.id.toLowerCase(), props);
    return this;
  }

  getKey(key: KeyId): Promise<KeyVersionProperties> {
    this.reads += 1;
    const fault = this.faults.take(key.id);
    if (fault) return Promise.reject(fault);
    const found =
      key.version === undefined
        ? // Latest: newest createdOn; among versions created in the same second, the one added last.
          [...this.#versions.values()]
            .map((v, i) => ({ v, i }))
            .filter(({ v }) => v.id.toLowerCase().startsWith(`${key.versionlessId.toLowerCase()}/`))
            .sort((a, b) => (b.v.createdOn?.getTime() ?? 0) - (a.v.createdOn?.getTime() ?? 0) || b.i - a.i)[0]?.v
        : this.#versions.get(key.id.toLowerCase());
    if (!found) {
      return Promise.reject(
        new RotationError('KeyNotFound', 'terminal', `key ${key.id} not found`, { details: { statusCode: 404 } }),
      );
    }
    return Promise.resolve(found);
  }

  /** Replaces a version's properties (disable it, say). */
  update(id: string, changes: Partial<KeyVersionProperties>): void {
    const v = this.#versions.get(id.toLowerCase());
    if (v) this.#versions.set(id.toLowerCase(), { ...v, ...changes });
  }

  listVersions(key: KeyId): Promise<KeyVersionSummary[]> {
    const fault = this.listFaults.take(key.versionlessId);
    if (fault) return Promise.reject(fault);
    return Promise.resolve(
      [...this.#versions.values()].filter((v) => v.id.toLowerCase().startsWith(`${key.versionlessId.toLowerCase()}/`)),
    );
  }
}
