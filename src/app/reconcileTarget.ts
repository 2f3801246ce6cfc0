/**
 * The reconciler: converges one target to the newest allowed version of one configured key. Every path
 * (the Event Grid handler through the queue, the queue worker, the reconcile timer, the CLI) ends here.
 *
 * 1. Resolve the item against the current ROTATION_CONFIG (the authority gate): `NotInConfig` otherwise.
 * 2. Work out the desired version from Key Vault (the item's version is only a hint).
 * 3. Plan the target (planTarget), whatever its kind (logical server, managed instance, database with its own
 *    key): add the key if missing; switch the protector only when the target
 *    opted in, the protector is on this key at an older version, auto-rotation is off and it is not versionless.
 * 4. Execute, then look again: if a newer allowed version appeared meanwhile, converge again.
 * A protector whose own version is disabled, expired or deleted is critical drift: alerted at once.
 */
import { targetKindOf } from '../domain/armId.js';
import { isNewerVersionInPlace } from '../domain/classifyArmError.js';
import { RotationError, isRotationError } from '../domain/errors.js';
import type { Outcome } from '../domain/outcome.js';
import type { ReconcileWorkItem } from '../domain/workItem.js';
import type { AppConfig } from '../config/appConfig.js';
import { desiredVersion } from './desiredVersion.js';
import type { KeyedLock } from './keyedLock.js';
import { notifySafely } from './notifySafely.js';
import { criticalDriftNotification } from './rotationNotification.js';
import { planTarget, waitingForSecondaries, type TargetAction, type TargetPlan } from './planTarget.js';
import type { KeyReader, Notifier, ServerDirectory, SqlServerKeys } from './ports.js';
import { resolveTarget, type ResolvedTarget } from './resolveTarget.js';
import { itemLogProperties, retryOrDeadLetter, type RetryDeps } from './retryOrDeadLetter.js';

export interface ReconcileDeps extends RetryDeps {
  readonly keys: KeyReader;
  readonly sql: SqlServerKeys;
  readonly servers: ServerDirectory;
  readonly config: Pick<AppConfig, 'keys' | 'fanOut'>;
  /** Serializes work on one target within this process. */
  readonly locks: KeyedLock;
  /** Where critical drift is reported besides the log. */
  readonly notifier: Notifier;
}

/** Rounds of "converge, then look again" before the item is left to the next trigger. */
const MAX_ROUNDS = 3;

/**
 * Runs one reconcile item. Never throws for an expected failure: the outcome is a value, retries are scheduled
 * and dead ends dead-lettered. Throws only when even scheduling a retry failed (the trigger then redelivers).
 */
export async function reconcileTarget(deps: ReconcileDeps, item: ReconcileWorkItem): Promise<Outcome> {
  return deps.locks.run(item.target, async () => {
    try {
      const outcome = await converge(deps, item);
      deps.logger.info(`Target ${outcome.kind}: ${outcome.kind === 'rotated' ? outcome.detail : outcome.kind === 'skipped' ? outcome.reason : ''}`, {
        ...itemLogProperties(item),
        outcome: outcome.kind,
        targetKind: targetKindOf(item.target),
      });
      return outcome;
    } catch (e) {
      return retryOrDeadLetter(deps, item, asRotationError(e, 'reconcile'));
    }
  });
}

async function converge(deps: ReconcileDeps, item: ReconcileWorkItem): Promise<Outcome> {
  const resolution = await resolveTarget(deps, item);
  const done: string[] = [];
  let protectorRead = resolution.protector;
  let alerted = false;
  let lastNote: string | undefined;
  let keyVersion = '';
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    const desired = await desiredVersion(deps.keys, resolution.key, deps.clock.now(), round === 1 ? item.versionHint : undefined);
    keyVersion = desired.version;
    if (round === 1) reportRefusedHint(deps, item, desired.refused);
    const plan = await planTarget(deps, resolution.target, desired, protectorRead);
    protectorRead = undefined;
    lastNote = plan.protectorNote;
    if (plan.critical && !alerted) {
      alerted = true;
      await alertCritical(deps, item, plan);
    }
    if (plan.actions.length === 0) break;
    if (plan.waitingFor.length > 0) throw waitingForSecondaries(plan);
    const switched = await execute(deps, plan, done);
    if (!switched) break;
  }
  const last = done.length === 0 ? undefined : done.join('; ');
  if (last !== undefined) return { kind: 'rotated', target: item.target, detail: last, keyVersion };
  return {
    kind: 'skipped',
    target: item.target,
    reason: `converged: ${keyWordOf(resolution.target.kind)} present${lastNote === undefined ? '' : `; ${lastNote}`}`,
    keyVersion,
  };
}

/**
 * Runs the plan's actions in order; true when the protector moved (then the reconciler looks again). A database
 * takes its keys and its protector in one update: when it needs both, the key rides on the protector's update.
 */
async function execute(deps: ReconcileDeps, plan: TargetPlan, done: string[]): Promise<boolean> {
  let switched = false;
  const oneUpdate = plan.target.kind === 'database' && plan.actions.some((a) => a.action === 'switchProtector');
  for (const a of plan.actions) {
    if (a.action === 'addKey') {
      if (oneUpdate) continue;
      await deps.sql.upsertServerKey(plan.target.id, a.serverKeyName, a.keyUri);
      done.push(`${keyWord(plan)} ${a.serverKeyName} added`);
      continue;
    }
    try {
      await deps.sql.setEncryptionProtector(plan.target.id, a.serverKeyName, false, plan.desired.key.id);
      if (oneUpdate && !plan.hasKey) done.push(`${keyWord(plan)} ${a.serverKeyName} added`);
      done.push(`protector switched from version ${a.from} to ${a.to}`);
      switched = true;
    } catch (e) {
      // Azure refuses an older version as protector: a newer one is in place, which is where we want to be.
      if (isRotationError(e) && isNewerVersionInPlace(e)) {
        done.push(`protector not switched to ${a.to}: Azure reports a newer version in place`);
        return false;
      }
      throw e;
    }
  }
  if (!plan.actions.some((a: TargetAction) => a.action === 'switchProtector') && plan.protectorNote) {
    done.push(plan.protectorNote);
  }
  return switched;
}

/** What a key of this target is called in outcome details. */
function keyWord(plan: TargetPlan): string {
  return keyWordOf(plan.target.kind);
}

function keyWordOf(kind: ResolvedTarget['kind']): string {
  return kind === 'server' ? 'server key' : kind === 'managedInstance' ? 'instance key' : 'database key';
}

function reportRefusedHint(deps: ReconcileDeps, item: ReconcileWorkItem, refused: readonly { version: string; code: string; reason: string }[]): void {
  const hint = item.versionHint?.toLowerCase();
  const hit = hint === undefined ? undefined : refused.find((r) => r.version.toLowerCase() === hint);
  if (hit) {
    deps.logger.error(`Key version ${hit.version} refused (${hit.code}): ${hit.reason}; converging to the newest allowed version`, {
      ...itemLogProperties(item),
      code: hit.code,
    });
  }
}

async function alertCritical(deps: ReconcileDeps, item: ReconcileWorkItem, plan: TargetPlan): Promise<void> {
  const c = plan.critical;
  if (!c) return;
  deps.logger.error(
    `CRITICAL: the TDE protector of ${plan.target.id} (${plan.target.kind}) is on key version ${c.version}, which Azure SQL cannot use (${c.code}): ${c.reason}. Databases become inaccessible within about 30 minutes.`,
    { ...itemLogProperties(item), code: c.code, critical: true, targetKind: plan.target.kind },
  );
  await notifySafely(
    deps.notifier,
    criticalDriftNotification({
      target: plan.target.id,
      keyId: `${plan.desired.key.versionlessId}/${c.version}`,
      code: c.code,
      reason: c.reason,
      correlationId: item.correlationId,
      at: deps.clock.now(),
    }),
    deps.logger,
  );
}

/** Anything thrown below becomes a RotationError; an error that is none (a bug) is terminal and names the step. */
export function asRotationError(e: unknown, step: string): RotationError {
  if (isRotationError(e)) return e;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : 'a non-error value was thrown';
  return new RotationError('UnexpectedError', 'terminal', `Unexpected failure in ${step}: ${what}`, { cause: e });
}
