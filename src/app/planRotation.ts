/**
 * The operators' dry run: for one configured key and one version (the newest enabled one unless given), which
 * servers would be touched, where their protectors stand, and the actions in the order the rotation would run
 * them. Reads only (Key Vault GETs, ARM GETs): it never writes.
 *
 * The decisions are the rotation's own: the same server resolution ({@link resolveServers}), the same
 * pre-flight ({@link preflightRefusal}), the same protector decision ({@link protectorStep},
 * {@link isNewerVersion}), the same geo order (secondaries first), so `plan` and `rotate` cannot disagree.
 */
import type { KeyTarget, ServerTarget } from '../config/appConfig.js';
import { sameArmId } from '../domain/armId.js';
import { RotationError, isRotationError, type ErrorCode } from '../domain/errors.js';
import { parseKeyId, serverKeyName, type KeyId } from '../domain/keyId.js';
import { protectorStep } from '../domain/protectorDecision.js';
import { isNewerVersion } from './versionOrder.js';
import { mapConcurrent } from './mapConcurrent.js';
import type { EncryptionProtector, KeyReader } from './ports.js';
import { preflightRefusal, resolveServers, type RotateDeps } from './rotateServerKeys.js';

/** What planning needs: read-only ports, the configuration and a clock. */
export type PlanDeps = Pick<RotateDeps, 'keys' | 'sql' | 'servers' | 'logger' | 'config' | 'clock'>;

/** Where a server came from. */
export type ServerSource = 'config' | 'discovery';

/** A server's place in a geo pair: secondaries get the key before their primary. */
export type GeoRole = 'geoSecondary' | 'geoPrimary' | 'standalone';

/** The protector as the plan and the drift report show it. */
export interface ProtectorSummary {
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged';
  readonly serverKeyName: string;
  /** Versioned key URI, when AzureKeyVault. */
  readonly keyUri?: string;
  /** Versionless key URI, when it parses as a key id. */
  readonly key?: string;
  readonly version?: string;
  readonly autoRotationEnabled: boolean;
}

/** One planned action. `step` numbers the actions of a key in the order they would run (1-based). */
export type PlannedAction =
  | { readonly step: number; readonly action: 'addKey'; readonly detail: string }
  | { readonly step: number; readonly action: 'keyPresent'; readonly detail: string }
  | { readonly step: number; readonly action: 'switchProtector'; readonly detail: string; readonly from: string }
  | { readonly step: number; readonly action: 'skip'; readonly detail: string };

/** A failure reading something, as a value. */
export interface PlanError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ServerPlan {
  readonly server: string;
  readonly source: ServerSource;
  readonly role: GeoRole;
  readonly geoPrimary?: string;
  readonly geoSecondaries?: readonly string[];
  readonly switchProtector: boolean;
  /** Undefined when it could not be read (see `error`). */
  readonly protector?: ProtectorSummary;
  /** Whether the server already holds the server key of the planned version; undefined when unknown. */
  readonly hasKey?: boolean;
  readonly actions: readonly PlannedAction[];
  readonly error?: PlanError;
}

export interface KeyPlan {
  /** Versionless key URI as configured. */
  readonly key: string;
  readonly version: string;
  /** Versioned key URI. */
  readonly keyId: string;
  readonly serverKeyName: string;
  readonly versionSource: 'newestEnabled' | 'given';
  /** Set when Azure would refuse this version: nothing would be written. */
  readonly refusal?: PlanError;
  /** In the order the rotation runs them: geo secondaries first. */
  readonly servers: readonly ServerPlan[];
}

/** What to plan: a configured key, and optionally a version (default: the newest enabled one). */
export interface PlanInput {
  readonly target: KeyTarget;
  readonly version?: string;
}

/** A key version that could be the target of a rotation, with its creation time. */
export interface NewestVersion {
  readonly version: string;
  readonly createdOn: Date;
}

/**
 * The newest enabled version of a key by creation time (Key Vault's own order of versions is unspecified).
 * Key Vault reports creation to the second: of two versions created in the same second, the one listed last
 * wins (the rotation itself would not move between them: see isStrictlyNewer). Throws a terminal
 * RotationError `NoEnabledKeyVersion` when there is none.
 */
export async function newestEnabledVersion(keys: KeyReader, key: KeyId): Promise<NewestVersion> {
  const versions = await keys.listVersions(key);
  let best: NewestVersion | undefined;
  for (const v of versions) {
    if (!v.enabled || v.createdOn === undefined || v.version === '') continue;
    if (best === undefined || v.createdOn.getTime() >= best.createdOn.getTime()) {
      best = { version: v.version, createdOn: v.createdOn };
    }
  }
  if (best === undefined) {
    throw new RotationError('NoEnabledKeyVersion', 'terminal', `key ${key.versionlessId} has no enabled version`, {
      details: { vault: key.vaultName, key: key.name },
    });
  }
  return best;
}

/** Plans the rotation of one configured key. Throws only when the key itself cannot be read or listed. */
export async function planRotation(deps: PlanDeps, input: PlanInput): Promise<KeyPlan> {
  const versionless = input.target.key;
  const version = input.version ?? (await newestEnabledVersion(deps.keys, versionless)).version;
  const key = parseKeyId(`${versionless.versionlessId}/${version}`);
  const name = serverKeyName(key);

  const refusalError = await preflightRefusal(deps, key, deps.clock.now());
  const refusal = refusalError ? { code: refusalError.code, message: refusalError.message } : undefined;

  const targets = orderForRotation(await resolveServers(deps, input.target));
  const servers = await mapConcurrent(targets, deps.config.fanOut.concurrency, (t) =>
    planServer(deps, input.target, targets, t, key, refusal),
  );

  // Number the actions in the order they would run: server by server, in rotation order.
  let step = 0;
  const numbered = servers.map((s) => ({ ...s, actions: s.actions.map((a) => ({ ...a, step: ++step })) }));
  return {
    key: versionless.versionlessId,
    version,
    keyId: key.id,
    serverKeyName: name,
    versionSource: input.version === undefined ? 'newestEnabled' : 'given',
    ...(refusal ? { refusal } : {}),
    servers: numbered,
  };
}

/** Geo secondaries first, then everything else, each group in configuration order (as the rotation runs). */
export function orderForRotation(targets: readonly ServerTarget[]): ServerTarget[] {
  return [...targets.filter((t) => t.geoPrimary !== undefined), ...targets.filter((t) => t.geoPrimary === undefined)];
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

type Unnumbered<T> = T extends unknown ? Omit<T, 'step'> : never;

async function planServer(
  deps: PlanDeps,
  keyTarget: KeyTarget,
  all: readonly ServerTarget[],
  t: ServerTarget,
  key: KeyId,
  refusal: PlanError | undefined,
): Promise<Omit<ServerPlan, 'actions'> & { actions: Unnumbered<PlannedAction>[] }> {
  const name = serverKeyName(key);
  const secondaries = all.filter((o) => o.geoPrimary !== undefined && sameArmId(o.geoPrimary, t.id)).map((o) => o.id);
  const base = {
    server: t.id,
    source: keyTarget.servers.some((s) => sameArmId(s.id, t.id)) ? ('config' as const) : ('discovery' as const),
    role: t.geoPrimary !== undefined ? ('geoSecondary' as const) : secondaries.length > 0 ? ('geoPrimary' as const) : ('standalone' as const),
    ...(t.geoPrimary === undefined ? {} : { geoPrimary: t.geoPrimary }),
    ...(secondaries.length > 0 ? { geoSecondaries: secondaries } : {}),
    switchProtector: t.switchProtector,
  };

  let protector: EncryptionProtector;
  let hasKey: boolean;
  try {
    [protector, hasKey] = await Promise.all([deps.sql.getEncryptionProtector(t.id), deps.sql.hasServerKey(t.id, name)]);
  } catch (e) {
    return { ...base, actions: [], error: planError(e) };
  }
  const view = { ...base, protector: summarizeProtector(protector), hasKey };

  if (refusal) {
    return { ...view, actions: [{ action: 'skip', detail: `key version refused (${refusal.code}): nothing is written` }] };
  }

  const actions: Unnumbered<PlannedAction>[] = [];
  const after = secondaries.length > 0 ? ` (after geo secondaries ${secondaries.join(', ')} hold it)` : '';
  actions.push(
    hasKey
      ? { action: 'keyPresent', detail: `server key ${name} already present${after}` }
      : { action: 'addKey', detail: `add server key ${name}${after}` },
  );
  if (!t.switchProtector) {
    actions.push({ action: 'skip', detail: 'protector not managed here (switchProtector is false)' });
    return { ...view, actions };
  }

  const step = protectorStep(protector, key);
  if (step.action === 'keep') {
    actions.push({ action: 'skip', detail: step.reason });
    return { ...view, actions };
  }
  const from = step.action === 'switch' ? step.from : (step.current.version ?? '(versionless)');
  if (step.action === 'compare') {
    try {
      if (!(await isNewerVersion(deps.keys, key, step.current))) {
        actions.push({ action: 'skip', detail: `protector keeps version ${from}, which is newer` });
        return { ...view, actions };
      }
    } catch (e) {
      return { ...view, actions, error: planError(e) };
    }
  }
  actions.push({ action: 'switchProtector', from, detail: `switch protector from version ${from} to ${key.version ?? ''}` });
  return { ...view, actions };
}

