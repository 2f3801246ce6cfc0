/**
 * Whether a key version is newer than the one a protector is on, from Key Vault's own creation times. One
 * implementation for the rotation and the operators' `plan`, so they cannot disagree.
 */
import { RotationError, isRotationError } from '../domain/errors.js';
import { parseKeyId, type KeyId } from '../domain/keyId.js';
import { versionOrder } from '../domain/protectorDecision.js';
import type { KeyReader } from './ports.js';

/**
 * True when `candidate` was created after `current`. A version in place that no longer exists in the vault
 * (404) loses: anything enabled beats a dangling protector. Equal creation times (Key Vault counts whole
 * seconds) are settled by Key Vault's latest version: the candidate wins only if it is the latest.
 */
export async function isNewerVersion(keys: KeyReader, candidate: KeyId, current: KeyId): Promise<boolean> {
  const next = await keys.getKey(candidate);
  let inPlace: Date | undefined;
  try {
    inPlace = (await keys.getKey(current)).createdOn;
    if (inPlace === undefined) throw missingCreated(current);
  } catch (e) {
    if (!(isRotationError(e) && e.details.statusCode === 404)) throw e;
  }
  if (!next.createdOn) throw missingCreated(candidate);
  const order = versionOrder(next.createdOn, inPlace);
  if (order !== 'tie') return order === 'newer';
  const latest = await keys.getKey(parseKeyId(candidate.versionlessId));
  return latest.version.toLowerCase() === candidate.version?.toLowerCase();
}

function missingCreated(key: KeyId): RotationError {
  return new RotationError('UnexpectedResponse', 'terminal', 'Key Vault did not report a creation time to compare', {
    details: { vault: key.vaultName, key: key.name, version: key.version ?? '' },
  });
}
