/**
 * The operators' dry run, and the drift report's source: for one configured key, the desired version (the newest
 * allowed one), every target (configured and discovered, geo secondaries first), where its protector stands and
 * the actions the reconciler would take, in the order it would take them. Reads only (Key Vault and ARM GETs).
 *
 * It is the reconciler's own decision (listTargets, desiredVersion, planTarget), so `plan`, `status` and what
 * `reconcile` does cannot disagree.
 */
import type { AppConfig, KeyTarget } from '../config/appConfig.js';
import type { TargetKind } from '../domain/armId.js';
import { isRotationError, type ErrorCode } from '../domain/errors.js';
import { parseKeyId, serverKeyName, type KeyId } from '../domain/keyId.js';
import { desiredVersion, type DesiredVersion, type RefusedVersion } from './desiredVersion.js';
import { listTargets } from './listTargets.js';
import { mapConcurrent } from './mapConcurrent.js';
import { planTarget, type CriticalDrift } from './planTarget.js';
import type { Clock, EncryptionProtector, KeyReader, Logger, ServerDirectory, SqlServerKeys } from './ports.js';
import type { ResolvedTarget } from './resolveTarget.js';

/** What planning needs: read-only ports, the configuration and a clock. */
export interface PlanDeps {
  readonly keys: KeyReader;
  readonly sql: SqlServerKeys;
  readonly servers: ServerDirectory;
  readonly logger: Logger;
  readonly config: Pick<AppConfig, 'keys' | 'fanOut'>;
  readonly clock: Clock;
}

/** Where a target came from. */
export type ServerSource = 'config' | 'discovery';

/** A target's place in a geo pair: secondaries get the key before their primary. */
export type GeoRole = 'geoSecondary' | 'geoPrimary' | 'standalone';

/** The protector as the plan and the drift report show it. */
export interface ProtectorSummary {
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged';
  readonly serverKeyName: string;
  /** Key URI (versioned, or versionless for a protector that follows the newest version). */
  readonly keyUri?: string;
  /** Versionless key URI, when it parses as a key id. */
  readonly key?: string;
  /** Absent for a versionless protector. */
  readonly version?: string;
  readonly autoRotationEnabled: boolean;
}

/** One planned action. `step` numbers the actions of a key in the order they would run (1-based). */
export type PlannedAction =
  | { readonly step: number; readonly action: 'addKey'; readonly detail: string }
  | { readonly step: number; readonly action: 'switchProtector'; readonly detail: string; readonly from: string };

/** A failure reading something, as a value. */
export interface PlanError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ServerPlan {
  readonly server: string;
  /** The kind of target: logical server, managed instance, or database with a database-level key. */
  readonly targetKind: TargetKind;
  readonly source: ServerSource;
  readonly role: GeoRole;
  readonly geoPrimary?: string;
  readonly geoSecondaries?: readonly string[];
  readonly switchProtector: boolean;
  /** Undefined when it could not be read (see `error`). */
  readonly protector?: ProtectorSummary;
  /** Whether the target holds the server key of the desired version; undefined when unknown. */
  readonly hasKey?: boolean;
  /** Empty: converged. */
  readonly actions: readonly PlannedAction[];
  /** Why the protector stays where it is, when it does. */
  readonly note?: string;
  /** Geo secondaries this target waits for before it changes. */
  readonly waitingFor?: readonly string[];
  /** The protector's own version is disabled, expired or deleted in Key Vault. */
  readonly critical?: CriticalDrift;
  readonly error?: PlanError;
}

export interface KeyPlan {
  /** Versionless key URI as configured. */
  readonly key: string;
  /** The desired version (newest allowed). */
  readonly version: string;
  /** Versioned key URI of the desired version. */
  readonly keyId: string;
  readonly serverKeyName: string;
  /** Newer enabled versions Azure SQL would refuse, passed over. */
  readonly refused?: readonly RefusedVersion[];
  /** The version hint given (`--version`), when it is not the desired one. */
  readonly hintNotUsed?: string;
  /** In the order the reconciler converges them: geo secondaries first. */
  readonly servers: readonly ServerPlan[];
}

/** What to plan: a configured key, and optionally a version hint (the newest allowed version wins anyway). */
export interface PlanInput {
  readonly target: KeyTarget;
  readonly version?: string;
}

/**
 * Plans one configured key. A target that cannot be read is an `error` value in its row; the key itself (its
 * versions, its discovery scopes) not being readable throws, as there is nothing to plan.
 */
export async function planRotation(deps: PlanDeps, input: PlanInput): Promise<KeyPlan> {
  const versionless = input.target.key.versionlessId;
  const desired = await desiredVersion(deps.keys, input.target.key, deps.clock.now(), input.version);
  const targets = await listTargets(deps, input.target);
  const servers = await mapConcurrent(targets, deps.config.fanOut.concurrency, (t) => planServer(deps, t, desired));
  let step = 0;
  const numbered = servers.map((s) => ({ ...s, actions: s.actions.map((a) => ({ ...a, step: ++step })) }));
  const hint = input.version;
  return {
    key: versionless,
    version: desired.version,
    keyId: desired.key.id,
    serverKeyName: serverKeyName(desired.key),
    ...(desired.refused.length > 0 ? { refused: desired.refused } : {}),
    ...(hint !== undefined && hint.toLowerCase() !== desired.version.toLowerCase() ? { hintNotUsed: hint } : {}),
    servers: numbered,
  };
}

type Unnumbered<T> = T extends unknown ? Omit<T, 'step'> : never;

async function planServer(
  deps: PlanDeps,
  t: ResolvedTarget,
  desired: DesiredVersion,
): Promise<Omit<ServerPlan, 'actions'> & { actions: Unnumbered<PlannedAction>[] }> {
  const base = {
    server: t.id,
    targetKind: t.kind,
    source: t.source,
    role: t.geoPrimary !== undefined ? ('geoSecondary' as const) : t.geoSecondaries.length > 0 ? ('geoPrimary' as const) : ('standalone' as const),
    ...(t.geoPrimary === undefined ? {} : { geoPrimary: t.geoPrimary }),
    ...(t.geoSecondaries.length > 0 ? { geoSecondaries: t.geoSecondaries } : {}),
    switchProtector: t.switchProtector,
  };
  try {
    const plan = await planTarget(deps, t, desired);
    const after = t.geoSecondaries.length > 0 ? ` (after geo secondaries ${t.geoSecondaries.join(', ')} hold it)` : '';
    const actions = plan.actions.map((a): Unnumbered<PlannedAction> =>
      a.action === 'addKey'
        ? { action: 'addKey', detail: `add ${t.kind === 'server' ? 'server' : t.kind === 'managedInstance' ? 'instance' : 'database'} key ${a.serverKeyName}${after}` }
        : { action: 'switchProtector', from: a.from, detail: `switch protector from version ${a.from} to ${a.to}` },
    );
    return {
      ...base,
      protector: summarizeProtector(plan.protector),
      hasKey: plan.hasKey,
      actions,
      ...(plan.protectorNote === undefined ? {} : { note: plan.protectorNote }),
      ...(plan.waitingFor.length > 0 ? { waitingFor: plan.waitingFor } : {}),
      ...(plan.critical ? { critical: plan.critical } : {}),
    };
  } catch (e) {
    return { ...base, actions: [], error: planError(e) };
  }
}

/** The protector in the shape the operators' tools show. */
export function summarizeProtector(p: EncryptionProtector): ProtectorSummary {
  let parsed: KeyId | undefined;
  try {
    parsed = p.uri === undefined ? undefined : parseKeyId(p.uri);
  } catch {
    parsed = undefined;
  }
  return {
    serverKeyType: p.serverKeyType,
    serverKeyName: p.serverKeyName,
    ...(p.uri === undefined ? {} : { keyUri: p.uri }),
    ...(parsed ? { key: parsed.versionlessId } : {}),
    ...(parsed?.version === undefined ? {} : { version: parsed.version }),
    autoRotationEnabled: p.autoRotationEnabled,
  };
}

/** A RotationError (or anything) as a value for reports. */
export function planError(e: unknown): PlanError {
  if (isRotationError(e)) return { code: e.code, message: e.message };
  return { code: 'UnexpectedError', message: e instanceof Error ? `${e.name}: ${e.message}` : 'non-error thrown' };
}
