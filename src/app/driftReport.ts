/**
 * The drift report: for every configured key, the desired version (newest allowed) and, for every configured and
 * discovered target, whether the reconciler would change anything there. It is the plan (planRotation) read as a
 * status: a target drifts exactly when `reconcile` would act on it, or when its protector's own version is
 * unusable (critical). Reads only.
 */
import type { KeyTarget } from '../config/appConfig.js';
import type { TargetKind } from '../domain/armId.js';
import { mapConcurrent } from './mapConcurrent.js';
import { planError, planRotation, type GeoRole, type KeyPlan, type PlanDeps, type PlanError, type ProtectorSummary, type ServerSource } from './planRotation.js';
import type { CriticalDrift } from './planTarget.js';

/** Why a target is not converged. */
export type DriftFinding =
  /** The desired version is not registered as a server key. */
  | 'missingNewestKey'
  /** The protector is on an older version of the key and the target opted in to switching. */
  | 'protectorBehind'
  /** The protector's own version is disabled, expired or deleted: databases become inaccessible. */
  | 'protectorVersionUnusable'
  /**
   * Azure auto-rotation is on but the protector is not on the newest version yet: Azure's job, not ours (the
   * reconciler leaves it alone), but an operator should see it when it lasts.
   */
  | 'autoRotationBehind';

/** Findings the reconciler acts on (the reconcile sweep enqueues these targets). */
export const ACTIONABLE_FINDINGS: ReadonlySet<DriftFinding> = new Set(['missingNewestKey', 'protectorBehind']);

export type DriftStatus = 'current' | 'drift' | 'error';

export interface ServerDrift {
  readonly server: string;
  /** Logical server, managed instance, or database with a database-level key. */
  readonly targetKind: TargetKind;
  readonly source: ServerSource;
  readonly role: GeoRole;
  readonly switchProtector: boolean;
  readonly protector?: ProtectorSummary;
  readonly hasNewestKey?: boolean;
  readonly status: DriftStatus;
  readonly findings: readonly DriftFinding[];
  /** Why the protector is left where it is (versionless, auto-rotation, not managed here, ...). */
  readonly note?: string;
  readonly critical?: CriticalDrift;
  readonly error?: PlanError;
}

export interface KeyDrift {
  /** Versionless key URI. */
  readonly key: string;
  readonly newestVersion?: string;
  readonly serverKeyName?: string;
  readonly status: DriftStatus;
  readonly servers: readonly ServerDrift[];
  /** Set when the key itself (or its targets) could not be read. */
  readonly error?: PlanError;
}

export interface DriftReport {
  /** ISO time. */
  readonly generatedAt: string;
  readonly keys: readonly KeyDrift[];
  readonly summary: {
    readonly servers: number;
    readonly current: number;
    readonly drift: number;
    readonly error: number;
    /** Targets whose protector is on an unusable version. */
    readonly critical: number;
  };
}

/** Exit codes of `status`: clean, error (the report is incomplete), drift. */
export const DRIFT_EXIT_CODES = { clean: 0, error: 1, drift: 2 } as const;

/** Builds the report for the given keys (default: every configured key). Never throws for a read failure. */
export async function driftReport(deps: PlanDeps, targets?: readonly KeyTarget[]): Promise<DriftReport> {
  const list = targets ?? [...deps.config.keys.values()];
  const keys = await mapConcurrent(list, 2, (t) => keyDrift(deps, t));
  const all = keys.flatMap((k) => k.servers);
  return {
    generatedAt: deps.clock.now().toISOString(),
    keys,
    summary: {
      servers: all.length,
      current: all.filter((s) => s.status === 'current').length,
      drift: all.filter((s) => s.status === 'drift').length,
      error: all.filter((s) => s.status === 'error').length + keys.filter((k) => k.error !== undefined).length,
      critical: all.filter((s) => s.critical !== undefined).length,
    },
  };
}

/** 1 when anything could not be read (the report is incomplete), else 2 on drift (critical included), else 0. */
export function driftExitCode(report: DriftReport): number {
  if (report.summary.error > 0) return DRIFT_EXIT_CODES.error;
  if (report.summary.drift > 0) return DRIFT_EXIT_CODES.drift;
  return DRIFT_EXIT_CODES.clean;
}

async function keyDrift(deps: PlanDeps, target: KeyTarget): Promise<KeyDrift> {
  let plan: KeyPlan;
  try {
    plan = await planRotation(deps, { target });
  } catch (e) {
    return { key: target.key.versionlessId, status: 'error', servers: [], error: planError(e) };
  }
  const rows = plan.servers.map((s): ServerDrift => {
    const base = {
      server: s.server,
      targetKind: s.targetKind,
      source: s.source,
      role: s.role,
      switchProtector: s.switchProtector,
      ...(s.protector ? { protector: s.protector } : {}),
      ...(s.hasKey === undefined ? {} : { hasNewestKey: s.hasKey }),
      ...(s.note === undefined ? {} : { note: s.note }),
      ...(s.critical ? { critical: s.critical } : {}),
    };
    if (s.error) return { ...base, status: 'error', findings: [], error: s.error };
    const findings: DriftFinding[] = [];
    if (s.actions.some((a) => a.action === 'addKey')) findings.push('missingNewestKey');
    if (s.actions.some((a) => a.action === 'switchProtector')) findings.push('protectorBehind');
    if (s.critical) findings.push('protectorVersionUnusable');
    const p = s.protector;
    if (p?.autoRotationEnabled && p.key?.toLowerCase() === plan.key.toLowerCase() && p.version !== undefined && p.version.toLowerCase() !== plan.version.toLowerCase()) {
      findings.push('autoRotationBehind');
    }
    return { ...base, status: findings.length > 0 ? 'drift' : 'current', findings };
  });
  const status: DriftStatus = rows.some((r) => r.status === 'drift') ? 'drift' : rows.some((r) => r.status === 'error') ? 'error' : 'current';
  return {
    key: plan.key,
    newestVersion: plan.version,
    serverKeyName: plan.serverKeyName,
    status,
    servers: rows,
  };
}
