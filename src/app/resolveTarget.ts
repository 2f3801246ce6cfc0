/**
 * The authority gate. A work item is a request ("look at key K on target T"), written by our own triggers or by
 * anyone with Send rights on the queue. Before any write, it is resolved against the CURRENT ROTATION_CONFIG:
 * the key is configured; the target is one of its configured targets (logical servers, managed instances, databases with
 * their own key), or a target inside one of its discovery scopes whose protector is on this key right now; every decision (switch the protector, geo relations) comes
 * from the config. Anything else is refused with `NotInConfig`, and nothing is written.
 */
import type { AppConfig, KeyTarget } from '../config/appConfig.js';
import { isWithinScope, parseTargetId, sameArmId, targetKindOf, type TargetKind } from '../domain/armId.js';
import { RotationError } from '../domain/errors.js';
import { parseKeyId, type KeyId } from '../domain/keyId.js';
import type { ReconcileWorkItem } from '../domain/workItem.js';
import type { EncryptionProtector, SqlServerKeys } from './ports.js';

/** A target as the config (or discovery) defines it. */
export interface ResolvedTarget {
  /** Logical server, managed instance, or database with a database-level key (from the id's shape). */
  readonly kind: TargetKind;
  /** Full ARM id. */
  readonly id: string;
  readonly source: 'config' | 'discovery';
  readonly switchProtector: boolean;
  /** Set when this target is a geo secondary. */
  readonly geoPrimary?: string;
  /** Configured geo secondaries that must hold the key before this target changes. */
  readonly geoSecondaries: readonly string[];
}

export interface Resolution {
  readonly keyTarget: KeyTarget;
  /** The configured key (versionless). */
  readonly key: KeyId;
  readonly target: ResolvedTarget;
  /** The protector, when the gate had to read it (discovered servers). */
  readonly protector?: EncryptionProtector;
}

/** The configured key of a work item, or a `NotInConfig` refusal. */
export function configuredKey(config: Pick<AppConfig, 'keys'>, key: string): KeyTarget {
  const target = config.keys.get(key.toLowerCase());
  if (!target) throw notInConfig(`key ${key} is not in ROTATION_CONFIG`);
  return target;
}

/** Resolves a reconcile item, or throws a terminal RotationError `NotInConfig` saying why not. */
export async function resolveTarget(
  deps: { readonly config: Pick<AppConfig, 'keys'>; readonly sql: Pick<SqlServerKeys, 'getEncryptionProtector'> },
  item: ReconcileWorkItem,
): Promise<Resolution> {
  const keyTarget = configuredKey(deps.config, item.key);
  const key = keyTarget.key;
  const claimed = item.claims?.keyVersion;
  if (claimed !== undefined && item.versionHint !== undefined && claimed.toLowerCase() !== item.versionHint.toLowerCase()) {
    throw notInConfig(`version ${item.versionHint} does not match the version ${claimed} of the key id in the message`);
  }

  const configured = keyTarget.servers.find((s) => sameArmId(s.id, item.target));
  if (configured) {
    const target: ResolvedTarget = {
      kind: targetKindOf(configured.id) ?? 'server',
      id: configured.id,
      source: 'config',
      switchProtector: configured.switchProtector,
      ...(configured.geoPrimary === undefined ? {} : { geoPrimary: configured.geoPrimary }),
      geoSecondaries: keyTarget.servers.filter((s) => s.geoPrimary !== undefined && sameArmId(s.geoPrimary, configured.id)).map((s) => s.id),
    };
    checkClaims(item, target);
    return { keyTarget, key, target };
  }

  const scope = keyTarget.discovery?.scopes.find((s) => isWithinScope(item.target, s));
  if (keyTarget.discovery === undefined || scope === undefined) {
    throw notInConfig(`server ${item.target} is not configured for key ${key.versionlessId} and lies in none of its discovery scopes`);
  }
  let kind: TargetKind;
  try {
    kind = parseTargetId(item.target).kind;
  } catch {
    throw notInConfig(`target ${item.target} is not the id of a logical server, managed instance or database`);
  }
  const protector = await deps.sql.getEncryptionProtector(item.target);
  if (!protectsWith(protector, key)) {
    throw notInConfig(`${kind === 'server' ? 'server' : kind === 'managedInstance' ? 'managed instance' : 'database'} ${item.target} (discovery scope ${scope}) is not protected by key ${key.versionlessId}`);
  }
  const target: ResolvedTarget = {
    kind,
    id: item.target,
    source: 'discovery',
    switchProtector: keyTarget.discovery.switchProtector,
    geoSecondaries: [],
  };
  checkClaims(item, target);
  return { keyTarget, key, target, protector };
}

/** Whether a protector is on this key (any version, or versionless). */
export function protectsWith(p: EncryptionProtector, key: KeyId): boolean {
  if (p.serverKeyType !== 'AzureKeyVault' || !p.uri) return false;
  try {
    return parseKeyId(p.uri).versionlessId.toLowerCase() === key.versionlessId.toLowerCase();
  } catch {
    return false;
  }
}

/** A message may not decide what the config decides. */
function checkClaims(item: ReconcileWorkItem, target: ResolvedTarget): void {
  const c = item.claims;
  if (c?.switchProtector !== undefined && c.switchProtector !== target.switchProtector) {
    throw notInConfig(
      `the message asks switchProtector=${String(c.switchProtector)} for ${target.id}; ROTATION_CONFIG says ${String(target.switchProtector)}`,
    );
  }
  if (c?.geoPrimary !== undefined && (target.geoPrimary === undefined || !sameArmId(c.geoPrimary, target.geoPrimary))) {
    throw notInConfig(`the message names geo primary ${c.geoPrimary} for ${target.id}; ROTATION_CONFIG does not`);
  }
}

function notInConfig(message: string): RotationError {
  return new RotationError('NotInConfig', 'terminal', `Work item refused: ${message}`);
}
