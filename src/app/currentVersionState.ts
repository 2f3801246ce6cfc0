/**
 * Where the protector's own key version stands in Key Vault, and whether the desired version is newer than it.
 * One implementation for the reconciler, `plan` and `status`, so they cannot disagree.
 */
import { RotationError, isRotationError } from '../domain/errors.js';
import { parseKeyId, type KeyId } from '../domain/keyId.js';
import { checkKeyVersion } from '../domain/checkKeyVersion.js';
import { versionOrder } from '../domain/protectorStep.js';
import type { KeyReader } from './ports.js';

/** The state in Key Vault of the version a protector is on. */
export type CurrentVersionState =
  | { readonly state: 'usable'; readonly createdOn: Date }
  /** Disabled, expired or deleted: Azure SQL loses access to the key (the database becomes inaccessible). */
  | { readonly state: 'unusable'; readonly code: string; readonly reason: string; readonly createdOn?: Date };

const DISABLED_CODES = new Set(['AzureKeyVaultKeyDisabled', 'KeyDisabled', 'Forbidden']);

/** Reads the protector's version: usable, or why not (404, disabled either way Key Vault says it, expired). */
export async function currentVersionState(keys: KeyReader, current: KeyId, now: Date): Promise<CurrentVersionState> {
  try {
    const props = await keys.getKey(current);
    const check = checkKeyVersion(props, now);
    if (!check.ok && check.code !== 'AzureKeyVaultRsaKeyNotSupported') {
      return { state: 'unusable', code: check.code, reason: check.reason, ...(props.createdOn ? { createdOn: props.createdOn } : {}) };
    }
    if (props.createdOn === undefined) throw missingCreated(current);
    return { state: 'usable', createdOn: props.createdOn };
  } catch (e) {
    if (!isRotationError(e)) throw e;
    if (e.details.statusCode === 404) {
      return { state: 'unusable', code: 'KeyVersionNotFound', reason: `key version ${current.id} no longer exists in the vault` };
    }
    if (DISABLED_CODES.has(e.code)) {
      const listed = (await keys.listVersions(parseKeyId(current.versionlessId))).find(
        (v) => v.version.toLowerCase() === current.version?.toLowerCase(),
      );
      return {
        state: 'unusable',
        code: 'AzureKeyVaultKeyDisabled',
        reason: `key version ${current.id} is disabled`,
        ...(listed?.createdOn ? { createdOn: listed.createdOn } : {}),
      };
    }
    throw e;
  }
}

/**
 * True when `candidate` (created `candidateCreated`) should replace the version in place. Never backwards: a
 * version in place that no longer exists loses to anything; one that is disabled or expired but newer keeps
 * its place (switching back is the operator's call, and the alert says so). Equal creation times (Key Vault
 * counts whole seconds) are settled by Key Vault's latest version.
 */
export async function isNewerThanCurrent(
  keys: KeyReader,
  candidate: KeyId,
  candidateCreated: Date,
  current: CurrentVersionState,
): Promise<boolean> {
  if (current.state === 'unusable' && current.createdOn === undefined) return true;
  const order = versionOrder(candidateCreated, current.createdOn);
  if (order !== 'tie') return order === 'newer';
  const latest = await keys.getKey(parseKeyId(candidate.versionlessId));
  return latest.version.toLowerCase() === candidate.version?.toLowerCase();
}

function missingCreated(key: KeyId): RotationError {
  return new RotationError('UnexpectedResponse', 'terminal', 'Key Vault did not report a creation time to compare', {
    details: { vault: key.vaultName, key: key.name, version: key.version ?? '' },
  });
}
