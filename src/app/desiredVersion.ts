/**
 * The desired state of a configured key: its newest version that is enabled and that Azure SQL would accept
 * (RSA/RSA-HSM, 2048/3072 bits, nbf <= now < exp). A version named by an event or a message is only a hint:
 * whatever the trigger says, the newest allowed version wins, so duplicates, reordering and lost events converge.
 */
import { RotationError, isRotationError } from '../domain/errors.js';
import { parseKeyId, type KeyId } from '../domain/keyId.js';
import { checkKeyVersion } from '../domain/checkKeyVersion.js';
import type { KeyReader } from './ports.js';

/** A version passed over because Azure would refuse it. */
export interface RefusedVersion {
  readonly version: string;
  readonly code: string;
  readonly reason: string;
}

export interface DesiredVersion {
  /** Versioned key id of the desired version. */
  readonly key: KeyId;
  readonly version: string;
  readonly createdOn: Date;
  /** Newer enabled versions passed over (with Azure's refusal code), newest first. */
  readonly refused: readonly RefusedVersion[];
}

/** Codes with which Key Vault says a version is disabled (200 `enabled: false` is checked by the pre-flight). */
const DISABLED_CODES = new Set(['AzureKeyVaultKeyDisabled', 'KeyDisabled', 'Forbidden']);

/**
 * Works out the desired version of `key` (versionless). Throws a terminal RotationError `NoEnabledKeyVersion`
 * when no version is allowed, and the reader's RotationError when Key Vault cannot be read.
 */
export async function desiredVersion(keys: KeyReader, key: KeyId, now: Date, hint?: string): Promise<DesiredVersion> {
  const versionless = key.version === undefined ? key : parseKeyId(key.versionlessId);
  const all = await keys.listVersions(versionless);
  const listed = all
    .filter((v) => v.enabled && v.createdOn !== undefined && v.version !== '')
    .map((v) => ({ version: v.version, createdOn: v.createdOn as Date }));
  if (hint !== undefined && !all.some((v) => v.version.toLowerCase() === hint.toLowerCase())) {
    // The event can arrive before a (cached or lagging) listing shows its version: read it directly.
    const hinted = await readHint(keys, versionless, hint);
    if (hinted) listed.push(hinted);
  }
  listed.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime());
  await breakTopTie(keys, versionless, listed);

  const refused: RefusedVersion[] = [];
  for (const candidate of listed) {
    const id = parseKeyId(`${versionless.versionlessId}/${candidate.version}`);
    let code: string;
    let reason: string;
    try {
      const check = checkKeyVersion(await keys.getKey(id), now);
      if (check.ok) return { key: id, version: candidate.version, createdOn: candidate.createdOn, refused };
      ({ code, reason } = check);
    } catch (e) {
      // Key Vault may answer a GET of a disabled version with 403 KeyDisabled instead of `enabled: false`.
      if (!(isRotationError(e) && (DISABLED_CODES.has(e.code) || e.details.statusCode === 404))) throw e;
      code = e.details.statusCode === 404 ? 'KeyVersionNotFound' : 'AzureKeyVaultKeyDisabled';
      reason = `key ${id.id} cannot be read (${e.code})`;
    }
    refused.push({ version: candidate.version, code, reason });
  }
  throw new RotationError(
    'NoEnabledKeyVersion',
    'terminal',
    `key ${versionless.versionlessId} has no enabled version that Azure SQL accepts${refused.length > 0 ? ` (${refused.map((r) => `${r.version.slice(0, 8)}: ${r.code}`).join(', ')})` : ''}`,
    { details: { vault: versionless.vaultName, key: versionless.name } },
  );
}

async function readHint(keys: KeyReader, key: KeyId, hint: string): Promise<{ version: string; createdOn: Date } | undefined> {
  try {
    const props = await keys.getKey(parseKeyId(`${key.versionlessId}/${hint}`));
    return props.enabled && props.createdOn ? { version: props.version, createdOn: props.createdOn } : undefined;
  } catch (e) {
    if (isRotationError(e) && e.errorClass === 'terminal') return undefined;
    throw e;
  }
}

/**
 * Key Vault reports creation times in whole seconds: when the newest versions tie, the one Key Vault calls the
 * latest goes first (one extra read, only on a tie).
 */
async function breakTopTie(keys: KeyReader, key: KeyId, sorted: { version: string; createdOn: Date }[]): Promise<void> {
  const top = sorted[0];
  const second = sorted[1];
  if (top === undefined || second === undefined || top.createdOn.getTime() !== second.createdOn.getTime()) return;
  let latest: string;
  try {
    latest = (await keys.getKey(key)).version.toLowerCase();
  } catch {
    return;
  }
  const i = sorted.findIndex((v) => v.version.toLowerCase() === latest && v.createdOn.getTime() === top.createdOn.getTime());
  if (i > 0) sorted.unshift(...sorted.splice(i, 1));
}
