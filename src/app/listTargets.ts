/**
 * Every target of a configured key, as the reconciler would resolve it: the configured targets (logical servers,
 * managed instances, databases with their own key; with their options and geo relations) and the targets of its
 * discovery scopes whose protector is on this key now.
 * Used by `status`, `plan`, the reconcile timer, and (one scope at a time) the discovery work item.
 */
import type { KeyTarget } from '../config/appConfig.js';
import { sameArmId, targetKindOf } from '../domain/armId.js';
import { isRotationError } from '../domain/errors.js';
import { mapConcurrent } from './mapConcurrent.js';
import type { Logger, ServerDirectory, SqlServerKeys } from './ports.js';
import { protectsWith, type ResolvedTarget } from './resolveTarget.js';

export interface ListTargetsDeps {
  readonly sql: Pick<SqlServerKeys, 'getEncryptionProtector'>;
  readonly servers: ServerDirectory;
  readonly logger: Logger;
  readonly config: { readonly fanOut: { readonly concurrency: number } };
}

/** The configured servers of a key, resolved. */
export function configuredTargets(keyTarget: KeyTarget): ResolvedTarget[] {
  return keyTarget.servers.map((s) => ({
    kind: targetKindOf(s.id) ?? 'server',
    id: s.id,
    source: 'config' as const,
    switchProtector: s.switchProtector,
    ...(s.geoPrimary === undefined ? {} : { geoPrimary: s.geoPrimary }),
    geoSecondaries: keyTarget.servers.filter((o) => o.geoPrimary !== undefined && sameArmId(o.geoPrimary, s.id)).map((o) => o.id),
  }));
}

/**
 * The servers of one discovery scope (not configured by id) whose protector is on this key. Throws when the
 * scope cannot be listed; a server whose protector cannot be read is reported in `unreadable`.
 */
export async function discoverInScope(
  deps: ListTargetsDeps,
  keyTarget: KeyTarget,
  scope: string,
): Promise<{ found: ResolvedTarget[]; unreadable: { id: string; error: unknown }[] }> {
  const listed = deps.servers.listTargets ? await deps.servers.listTargets(scope) : await deps.servers.listServers(scope);
  const ids = listed.filter((id) => !keyTarget.servers.some((s) => sameArmId(s.id, id)));
  const unreadable: { id: string; error: unknown }[] = [];
  const matches = await mapConcurrent(ids, deps.config.fanOut.concurrency, async (id) => {
    try {
      return protectsWith(await deps.sql.getEncryptionProtector(id), keyTarget.key);
    } catch (error) {
      unreadable.push({ id, error });
      return false;
    }
  });
  const found = ids
    .filter((_, i) => matches[i] === true)
    .map((id) => ({ kind: targetKindOf(id) ?? 'server', id, source: 'discovery' as const, switchProtector: keyTarget.discovery?.switchProtector ?? false, geoSecondaries: [] }));
  return { found, unreadable };
}

/** Configured plus discovered targets, geo secondaries first (the order the rotation converges them in). */
export async function listTargets(deps: ListTargetsDeps, keyTarget: KeyTarget): Promise<ResolvedTarget[]> {
  const all = configuredTargets(keyTarget);
  for (const scope of keyTarget.discovery?.scopes ?? []) {
    const { found, unreadable } = await discoverInScope(deps, keyTarget, scope);
    for (const u of unreadable) {
      deps.logger.warn('Discovery could not read a target protector; target skipped', {
        server: u.id,
        targetKind: targetKindOf(u.id),
        code: isRotationError(u.error) ? u.error.code : 'Unknown',
      });
    }
    for (const t of found) if (!all.some((s) => sameArmId(s.id, t.id))) all.push(t);
  }
  return geoOrder(all);
}

/**
 * The one geo ordering, as phases: geo secondaries first, then the rest, each in configuration order. Whoever runs
 * work in phases (the CLI) runs all of the first before the second; the queue gets them in this order.
 */
export function geoPhases<T extends { readonly geoPrimary?: string }>(targets: readonly T[]): [T[], T[]] {
  return [targets.filter((t) => t.geoPrimary !== undefined), targets.filter((t) => t.geoPrimary === undefined)];
}

/** {@link geoPhases}, flattened. */
export function geoOrder<T extends { readonly geoPrimary?: string }>(targets: readonly T[]): T[] {
  return geoPhases(targets).flat();
}
