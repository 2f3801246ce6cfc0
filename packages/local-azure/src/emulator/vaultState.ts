/**
 * The emulated Key Vaults (and Managed HSM pools) as the emulator holds them: keys and secrets, each a list of
 * versions indexed by version. Mutable: the routes change it, tests read and change it directly.
 */

/** What key versions and secret versions share: Key Vault's attributes (times in Unix seconds) and tags. */
export interface VersionAttributes {
  readonly version: string;
  enabled: boolean;
  /** Unix seconds. */
  readonly created: number;
  updated: number;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

export interface KeyVersionState extends VersionAttributes {
  readonly kty: string;
  readonly keySize: number;
  /** Base64url RSA modulus (random bytes, top bit set, keySize/8 long). */
  readonly n: string;
  keyOps: string[];
}

export interface SecretVersionState extends VersionAttributes {
  readonly value: string;
  contentType?: string;
}

/** A key or a secret: its versions, oldest first (the last is the current one), and the same by lower-cased version. */
export interface VersionedItem<V extends VersionAttributes> {
  readonly name: string;
  readonly versions: V[];
  readonly byVersion: Map<string, V>;
}

export type VaultKeyState = VersionedItem<KeyVersionState>;

export type VaultSecretState = VersionedItem<SecretVersionState>;

export interface VaultState {
  readonly name: string;
  readonly kind: 'vault' | 'managedHsm';
  /** ARM id of the vault (the Event Grid topic). */
  readonly armId: string;
  readonly location: string;
  /** By lower-cased key name. */
  readonly keys: Map<string, VaultKeyState>;
  /** By lower-cased secret name. */
  readonly secrets: Map<string, VaultSecretState>;
}

/** Appends `version` to the item `name` of `items` (created when absent): it becomes the current version. */
export function appendVersion<V extends VersionAttributes>(items: Map<string, VersionedItem<V>>, name: string, version: V): void {
  let item = items.get(name.toLowerCase());
  if (!item) {
    item = { name, versions: [], byVersion: new Map() };
    items.set(name.toLowerCase(), item);
  }
  item.versions.push(version);
  item.byVersion.set(version.version.toLowerCase(), version);
}
