/**
 * The operators' drift report: for every configured key, the newest enabled version in Key Vault, and for every
 * configured and discovered server, whether it holds that version as a server key and whether its protector
 * is on it. Reads only.
 *
 * A server drifts when it lacks the newest server key, or when its protector should be on the newest version
 * (this tool switches it, `switchProtector`, or Azure does, `autoRotationEnabled`) and is not. A server whose
 * protector is not managed here and not auto-rotated only needs the key.
 */
import type { KeyTarget } from '../config/appConfig.js';
import { sameArmId } from '../domain/armId.js';
import { isRotationError } from '../domain/errors.js';
import { parseKeyId, serverKeyName } from '../domain/keyId.js';
import { mapConcurrent } from './mapConcurrent.js';
import {
  newestEnabledVersion,
  orderForRotation,
  planError,
  summarizeProtector,
  type GeoRole,
  type NewestVersion,
  type PlanDeps,
  type PlanError,
  type ProtectorSummary,
  type ServerSource,
} from './planRotation.js';
import type { KeyReader } from './ports.js';
import { resolveServers } from './rotateServerKeys.js';

/** Why a server is not on the newest key version. */
export type DriftFinding =
  /** The newest version is not registered as a server key. */
  | 'missingNewestKey'
  /** The protector is on an older version of the key. */
  | 'protectorBehind'
  /** The protector is on another version of the key that is not the newest enabled one (disabled, or newer). */
  | 'protectorNotNewest'
  /** The protector uses another key. */
  | 'protectorOtherKey'
  /** The protector is service-managed. */
  | 'protectorServiceManaged';

export type DriftStatus = 'current' | 'drift' | 'error';

export interface ServerDrift {
  readonly server: string;
  readonly source: ServerSource;
  readonly role: GeoRole;
  readonly switchProtector: boolean;
  readonly protector?: ProtectorSummary;
  /** Creation time (ISO) in Key Vault of the protector's key version: when that version was made. */
  readonly protectorVersionCreatedOn?: string;
  readonly hasNewestKey?: boolean;
  readonly status: DriftStatus;
  readonly findings: readonly DriftFinding[];
  readonly error?: PlanError;
}

export interface KeyDrift {
  /** Versionless key URI. */
  readonly key: string;
  readonly newestVersion?: string;
  /** ISO time. */
  readonly newestCreatedOn?: string;
  readonly serverKeyName?: string;
  readonly status: DriftStatus;
  readonly servers: readonly ServerDrift[];
  /** Set when the key itself (or its servers) could not be read. */
  readonly error?: PlanError;
}

export interface DriftReport {
  /** ISO time. */
  readonly generatedAt: string;
  readonly keys: readonly KeyDrift[];
  readonly summary: { readonly servers: number; readonly current: number; readonly drift: number; readonly error: number };
}

/** Exit codes of `status`: clean, error (the report is incomplete), drift. */
export const DRIFT_EXIT_CODES = { clean: 0, error: 1, drift: 2 } as const;

/** Builds the report for the given keys (default: every configured key). Never throws for a read failure. */
export async function driftReport(deps: PlanDeps, targets?: readonly KeyTarget[]): Promise<DriftReport> {
  const keys: KeyDrift[] = [];
  for (const target of targets ?? [...deps.config.keys.values()]) keys.push(await keyDrift(deps, target));
  const all = keys.flatMap((k) => k.servers);
  return {
    generatedAt: deps.clock.now().toISOString(),
    keys,
    summary: {
      servers: all.length,
      current: all.filter((s) => s.status === 'current').length,
      drift: all.filter((s) => s.status === 'drift').length,
      error: all.filter((s) => s.status === 'error').length + keys.filter((k) => k.error !== undefined).length,
    },
  };
}

/** 1 when anything could not be read (the report is incomplete), else 2 on drift, else 0. */
export function driftExitCode(report: DriftReport): number {
  if (report.summary.error > 0) return DRIFT_EXIT_CODES.error;
  if (report.summary.drift > 0) return DRIFT_EXIT_CODES.drift;
  return DRIFT_EXIT_CODES.clean;
}

async function keyDrift(deps: PlanDeps, target: KeyTarget): Promise<KeyDrift> {
  const key = target.key.versionlessId;
  let newest: NewestVersion;
  let servers;
  try {
    newest = await newestEnabledVersion(deps.keys, target.key);
    servers = orderForRotation(await resolveServers(deps, target));
  } catch (e) {
    return { key, status: 'error', servers: [], error: planError(e) };
  }
  const newestId = parseKeyId(`${key}/${newest.version}`);
  const name = serverKeyName(newestId);
  const created = new VersionCreation(deps.keys);

  const rows = await mapConcurrent(servers, deps.config.fanOut.concurrency, async (t): Promise<ServerDrift> => {
    const hasSecondaries = servers.some((o) => o.geoPrimary !== undefined && sameArmId(o.geoPrimary, t.id));
    const base = {
      server: t.id,
      source: target.servers.some((s) => sameArmId(s.id, t.id)) ? ('config' as const) : ('discovery' as const),
      role: t.geoPrimary !== undefined ? ('geoSecondary' as const) : hasSecondaries ? ('geoPrimary' as const) : ('standalone' as const),
      switchProtector: t.switchProtector,
    };
    try {
      const [p, hasNewestKey] = await Promise.all([deps.sql.getEncryptionProtector(t.id), deps.sql.hasServerKey(t.id, name)]);
      const protector = summarizeProtector(p);
      const findings: DriftFinding[] = hasNewestKey ? [] : ['missingNewestKey'];
      const sameKey = protector.key !== undefined && protector.key.toLowerCase() === key.toLowerCase();
      const createdOn = sameKey && protector.keyUri !== undefined ? await created.of(protector.keyUri) : undefined;
      if (t.switchProtector || protector.autoRotationEnabled) {
        if (protector.serverKeyType !== 'AzureKeyVault') findings.push('protectorServiceManaged');
        else if (!sameKey) findings.push('protectorOtherKey');
        else if (protector.version?.toLowerCase() !== newest.version.toLowerCase()) {
          findings.push(createdOn !== undefined && createdOn.getTime() < newest.createdOn.getTime() ? 'protectorBehind' : 'protectorNotNewest');
        }
      }
      return {
        ...base,
        protector,
        ...(createdOn === undefined ? {} : { protectorVersionCreatedOn: createdOn.toISOString() }),
        hasNewestKey,
        status: findings.length > 0 ? 'drift' : 'current',
        findings,
      };
    } catch (e) {
      return { ...base, status: 'error', findings: [], error: planError(e) };
    }
  });

  const status: DriftStatus = rows.some((r) => r.status === 'error')
    ? 'error'
    : rows.some((r) => r.status === 'drift')
      ? 'drift'
      : 'current';
  return {
    key,
    newestVersion: newest.version,
    newestCreatedOn: newest.createdOn.toISOString(),
    serverKeyName: name,
    status,
    servers: rows,
  };
}

/** Creation times of key versions, read once per version; a version that no longer exists has none. */
class VersionCreation {
  readonly #keys: KeyReader;
  readonly #seen = new Map<string, Promise<Date | undefined>>();

  constructor(keys: KeyReader) {
    this.#keys = keys;
  }

  of(keyUri: string): Promise<Date | undefined> {
    const k = keyUri.toLowerCase();
    let p = this.#seen.get(k);
    if (!p) {
      p = this.#read(keyUri);
      this.#seen.set(k, p);
    }
    return p;
  }

  async #read(keyUri: string): Promise<Date | undefined> {
    try {
      return (await this.#keys.getKey(parseKeyId(keyUri))).createdOn;
    } catch (e) {
      if (isRotationError(e) && e.details.statusCode === 404) return undefined;
      throw e;
    }
  }
}
