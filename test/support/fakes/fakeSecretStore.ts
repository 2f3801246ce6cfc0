import type { Clock, SecretStore, StoredSecretInfo } from '../../../src/app/ports.js';
import { RotationError } from '../../../src/domain/errors.js';
import type { Secret } from '../../../src/domain/secret.js';
import { Faults } from './faults.js';

export interface StoredSecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  tags: Readonly<Record<string, string>>;
  readonly expiresOn?: Date;
  updatedOn: Date;
}

/**
 * In-memory Key Vault secrets: every setSecret adds a version stamped with the clock's time.
 * Faults: `setFaults` / `getFaults` / `updateFaults` keyed by `{vaultUrl}|{name}` (see {@link FakeSecretStore.target}).
 * Updating a version's tags moves its `updatedOn`, as Key Vault does.
 */
export class FakeSecretStore implements SecretStore {
  readonly setFaults = new Faults();
  readonly getFaults = new Faults();
  readonly updateFaults = new Faults();
  /** `{name}/{version}` of every tag update, in order. */
  readonly tagUpdates: string[] = [];
  #next = 0;
  #versions = new Map<string, StoredSecretVersion[]>();
  readonly #clock: Clock;

  constructor(clock: Clock = { now: () => new Date() }) {
    this.#clock = clock;
  }

  /** The fault / storage key of a secret. */
  static target(vaultUrl: string, name: string): string {
    return `${vaultUrl.replace(/\/+$/, '').toLowerCase()}|${name.toLowerCase()}`;
  }

  setSecret(
    vaultUrl: string,
    name: string,
    value: Secret,
    options: { readonly contentType: string; readonly tags: Record<string, string>; readonly expiresOn?: Date },
  ): Promise<void> {
    const key = FakeSecretStore.target(vaultUrl, name);
    const fault = this.setFaults.take(key);
    if (fault !== undefined) return Promise.reject(fault);
    const version: StoredSecretVersion = {
      version: this.#newVersion(),
      value: value.reveal(),
      contentType: options.contentType,
      tags: { ...options.tags },
      updatedOn: this.#clock.now(),
      ...(options.expiresOn === undefined ? {} : { expiresOn: options.expiresOn }),
    };
    this.#versions.set(key, [...(this.#versions.get(key) ?? []), version]);
    return Promise.resolve();
  }

  getSecretInfo(vaultUrl: string, name: string): Promise<StoredSecretInfo | undefined> {
    const key = FakeSecretStore.target(vaultUrl, name);
    const fault = this.getFaults.take(key);
    if (fault !== undefined) return Promise.reject(fault);
    const latest = this.latest(vaultUrl, name);
    return Promise.resolve(
      latest === undefined ? undefined : { version: latest.version, updatedOn: latest.updatedOn, tags: { ...latest.tags } },
    );
  }

  updateSecretTags(vaultUrl: string, name: string, version: string, tags: Record<string, string>): Promise<void> {
    const key = FakeSecretStore.target(vaultUrl, name);
    const fault = this.updateFaults.take(key);
    if (fault !== undefined) return Promise.reject(fault);
    const v = this.#versions.get(key)?.find((x) => x.version === version);
    if (v === undefined) {
      return Promise.reject(new RotationError('SecretNotFound', 'terminal', `${name}/${version} not found`, { details: { statusCode: 404 } }));
    }
    v.tags = { ...tags };
    v.updatedOn = this.#clock.now();
    this.tagUpdates.push(`${name}/${version}`);
    return Promise.resolve();
  }

  #newVersion(): string {
    this.#next += 1;
    return this.#next.toString(16).padStart(32, '0');
  }

  /** Seeds a version written at `updatedOn` (an existing secret from an earlier run). */
  seed(vaultUrl: string, name: string, version: Partial<StoredSecretVersion> & { updatedOn: Date }): void {
    const key = FakeSecretStore.target(vaultUrl, name);
    const v: StoredSecretVersion = { version: this.#newVersion(), value: 'seeded-value', tags: {}, ...version };
    this.#versions.set(key, [...(this.#versions.get(key) ?? []), v]);
  }

  latest(vaultUrl: string, name: string): StoredSecretVersion | undefined {
    return this.#versions.get(FakeSecretStore.target(vaultUrl, name))?.at(-1);
  }

  versions(vaultUrl: string, name: string): readonly StoredSecretVersion[] {
    return this.#versions.get(FakeSecretStore.target(vaultUrl, name)) ?? [];
  }
}
