/**
 * Key Vault / Managed HSM key identifiers and the Azure SQL server key names derived from them.
 * Pure: no I/O. Implementation: see parseKeyId.
 */
import { InvalidKeyIdError } from './errors.js';

export type KeyVaultKind = 'vault' | 'managedHsm';

export interface KeyId {
  /** First DNS label of the host: the vault (or HSM pool) name. */
  readonly vaultName: string;
  /** Host without the first label, e.g. `vault.azure.net`, `managedhsm.azure.net`, `vault.azure.cn`. */
  readonly dnsSuffix: string;
  readonly kind: KeyVaultKind;
  /** `https://{vault}.{suffix}` without trailing slash. */
  readonly vaultUrl: string;
  readonly name: string;
  /** 32 lowercase hex characters, or undefined for a versionless id. */
  readonly version?: string;
  /** `https://{vault}.{suffix}/keys/{name}` */
  readonly versionlessId: string;
  /** `https://{vault}.{suffix}/keys/{name}/{version}` (or the versionless id when there is no version). */
  readonly id: string;
}

/** Parses a key URI; throws {@link InvalidKeyIdError} naming what is wrong. */
export function parseKeyId(raw: string): KeyId {
  throw new InvalidKeyIdError(`not implemented: ${raw.length}`);
}

/** `{vault}_{name}_{version}`, or `{vault}_{name}` for a versionless id. */
export function serverKeyName(key: KeyId): string {
  return key.version === undefined ? `${key.vaultName}_${key.name}` : `${key.vaultName}_${key.name}_${key.version}`;
}
