/**
 * The convergence of one target, decided: what is there (protector, server key, geo secondaries, the state of
 * the protector's own version in Key Vault) and what must change to reach the desired version. Reads only.
 * The reconciler executes this plan; `plan` prints it; `status` reports it. One decision, three readers.
 */
import { RotationError } from '../domain/errors.js';
import { parseKeyId, serverKeyName, type KeyId } from '../domain/keyId.js';
import { protectorStep } from '../domain/protectorStep.js';
import type { DesiredVersion } from './desiredVersion.js';
import type { EncryptionProtector, KeyReader, SqlServerKeys } from './ports.js';
import type { ResolvedTarget } from './resolveTarget.js';
import { currentVersionState, isNewerThanCurrent } from './currentVersionState.js';

export type TargetAction =
  | { readonly action: 'addKey'; readonly serverKeyName: string; readonly keyUri: string }
  | { readonly action: 'switchProtector'; readonly serverKeyName: string; readonly from: string; readonly to: string };

/** The protector's version cannot be used by Azure SQL any more: critical, whatever else happens. */
export interface CriticalDrift {
  readonly version: string;
  readonly code: string;
  readonly reason: string;
}

export interface TargetPlan {
  readonly target: ResolvedTarget;
  readonly desired: DesiredVersion;
  readonly serverKeyName: string;
  readonly protector: EncryptionProtector;
  readonly hasKey: boolean;
  /** Configured geo secondaries that do not hold the desired server key yet: this target waits for them. */
  readonly waitingFor: readonly string[];
  /** In the order they run. Empty: the target is converged. */
  readonly actions: readonly TargetAction[];
  /** Why the protector stays where it is, when it does. */
  readonly protectorNote?: string;
  readonly critical?: CriticalDrift;
}

export interface PlanTargetDeps {
  readonly keys: KeyReader;
  readonly sql: Pick<SqlServerKeys, 'getEncryptionProtector' | 'hasServerKey'>;
  readonly clock: { now(): Date };
}

/** Reads the target and decides. `protector` may be passed when the caller has just read it. */
export async function planTarget(
  deps: PlanTargetDeps,
  target: ResolvedTarget,
  desired: DesiredVersion,
  protectorRead?: EncryptionProtector,
): Promise<TargetPlan> {
  const name = serverKeyName(desired.key);
  const [protector, hasKey] = await Promise.all([
    protectorRead ?? deps.sql.getEncryptionProtector(target.id),
    deps.sql.hasServerKey(target.id, name),
  ]);

  const step = protectorStep(protector, desired.key);
  let critical: CriticalDrift | undefined;
  let switchFrom: string | undefined;
  let protectorNote: string | undefined;
  if (step.action === 'compare') {
    const current = await currentVersionState(deps.keys, step.current, deps.clock.now());
    const version = step.current.version ?? '';
    if (current.state === 'unusable') critical = { version, code: current.code, reason: current.reason };
    if (!target.switchProtector) {
      protectorNote = 'protector not managed here (switchProtector is false)';
    } else if (await isNewerThanCurrent(deps.keys, desired.key, desired.createdOn, current)) {
      switchFrom = version;
    } else {
      protectorNote = `protector keeps version ${version}, which is newer`;
    }
  } else if (step.action === 'keep') {
    protectorNote =
      target.switchProtector || step.why === 'versionless' || step.why === 'autoRotation'
        ? step.reason
        : 'protector not managed here (switchProtector is false)';
    // Azure rotates an auto-rotation protector, but a version it sits on can still be disabled or deleted.
    const current = step.why === 'autoRotation' ? versionedSameKey(protector.uri, desired.key) : undefined;
    if (current?.version !== undefined) {
      const state = await currentVersionState(deps.keys, current, deps.clock.now());
      if (state.state === 'unusable') critical = { version: current.version, code: state.code, reason: state.reason };
    }
  }

  const actions: TargetAction[] = [];
  if (!hasKey) actions.push({ action: 'addKey', serverKeyName: name, keyUri: desired.key.id });
  if (switchFrom !== undefined) actions.push({ action: 'switchProtector', serverKeyName: name, from: switchFrom, to: desired.version });

  const waitingFor: string[] = [];
  if (actions.length > 0) {
    const held = await Promise.all(target.geoSecondaries.map((s) => deps.sql.hasServerKey(s, name)));
    target.geoSecondaries.forEach((s, i) => {
      if (!held[i]) waitingFor.push(s);
    });
  }
  return {
    target,
    desired,
    serverKeyName: name,
    protector,
    hasKey,
    waitingFor,
    actions,
    ...(protectorNote === undefined ? {} : { protectorNote }),
    ...(critical === undefined ? {} : { critical }),
  };
}

/** The protector's key id when it is a version of `key` (auto-rotation protectors report one). */
function versionedSameKey(uri: string | undefined, key: KeyId): KeyId | undefined {
  if (uri === undefined) return undefined;
  try {
    const parsed = parseKeyId(uri);
    return parsed.version !== undefined && parsed.versionlessId.toLowerCase() === key.versionlessId.toLowerCase() ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The error a primary raises while a geo secondary lacks the key (retried on the order schedule). */
export function waitingForSecondaries(plan: TargetPlan): RotationError {
  return new RotationError(
    'WaitingForGeoSecondary',
    'waitingOnOrder',
    `geo secondary ${plan.waitingFor.join(', ')} does not have server key ${plan.serverKeyName} yet`,
    { details: { server: plan.target.id, vault: plan.desired.key.vaultName, key: plan.desired.key.name, version: plan.desired.version } },
  );
}
