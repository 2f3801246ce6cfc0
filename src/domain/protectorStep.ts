/**
 * Whether a server's TDE protector should move to a new key version. Pure: the caller reads the protector and,
 * when asked to, the creation times of both versions. Shared by the rotation and by the operators' `plan`.
 */
import { parseKeyId, type KeyId } from './keyId.js';

/** The protector as ARM reports it (same shape as the EncryptionProtector port type). */
export interface ProtectorView {
  readonly serverKeyName: string;
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged';
  readonly uri?: string;
  readonly autoRotationEnabled: boolean;
}

/** Why a protector is left alone. */
export type KeepReason = 'autoRotation' | 'serviceManaged' | 'unmanagedUri' | 'otherKey' | 'sameVersion' | 'versionless';

export type ProtectorStep =
  /** Leave the protector alone; `kind` is the server's outcome once the key is added. */
  | { readonly action: 'keep'; readonly kind: 'rotated' | 'skipped'; readonly why: KeepReason; readonly reason: string }
  /** Same key, another version: compare creation times with {@link isStrictlyNewer} before switching. */
  | { readonly action: 'compare'; readonly current: KeyId };

export function protectorStep(protector: ProtectorView, next: KeyId): ProtectorStep {
  if (protector.autoRotationEnabled) {
    return { action: 'keep', kind: 'rotated', why: 'autoRotation', reason: 'protector left to Azure auto-rotation (autoRotationEnabled)' };
  }
  if (protector.serverKeyType !== 'AzureKeyVault' || !protector.uri) {
    return {
      action: 'keep',
      kind: 'skipped',
      why: 'serviceManaged',
      reason: 'protector is service-managed, and enabling customer-managed TDE is not a rotation',
    };
  }
  let current: KeyId;
  try {
    current = parseKeyId(protector.uri);
  } catch {
    return { action: 'keep', kind: 'skipped', why: 'unmanagedUri', reason: `protector uri ${protector.uri} is not a key id this tool manages` };
  }
  if (current.versionlessId.toLowerCase() !== next.versionlessId.toLowerCase()) {
    return { action: 'keep', kind: 'skipped', why: 'otherKey', reason: `protector uses another key (${current.versionlessId}), not switched` };
  }
  if (current.version === next.version) {
    return { action: 'keep', kind: 'skipped', why: 'sameVersion', reason: 'protector already on this version' };
  }
  if (current.version === undefined) {
    // `{vault}_{key}` with a versionless uri: the server follows the newest version by itself. Pinning it to a
    // version would silently turn "follow the newest" into "stuck on this one".
    return { action: 'keep', kind: 'rotated', why: 'versionless', reason: 'protector is versionless: it follows the newest version by itself' };
  }
  return { action: 'compare', current };
}

/**
 * Event Grid delivers out of order and more than once: move only to a version created after the one in place.
 * `current` undefined means the version in place no longer exists in the vault. Key Vault reports creation
 * times in whole seconds, so two versions made within one second tie: the caller breaks a tie by asking Key
 * Vault which version is the latest (see {@link isStrictlyNewer}'s caller, src/app/currentVersionState.ts).
 */
export function versionOrder(next: Date, current: Date | undefined): 'newer' | 'older' | 'tie' {
  if (current === undefined || next.getTime() > current.getTime()) return 'newer';
  return next.getTime() < current.getTime() ? 'older' : 'tie';
}

/** True when `next` was created strictly after `current` (a tie is not newer). */
export function isStrictlyNewer(next: Date, current: Date | undefined): boolean {
  return versionOrder(next, current) === 'newer';
}
