/**
 * Rotation metrics for alerting: one record per target outcome (server, managed instance, database) (and per sync-agent outcome), each with its
 * time, so that "last success per server" and "failures in the last hour" are queries.
 *
 * The implementation here is deliberately log-based, without OpenTelemetry or the Application Insights SDK
 * (no extra dependency, nothing to configure): {@link LogMetrics} writes one line
 * `ROTATION_OUTCOME {"server":..,"outcome":..,...}` through the invocation's Logger. The Functions host sends
 * every log line to Application Insights `traces`, where the JSON after the prefix is parsed by the alert
 * queries in docs/operations.md.
 */
import type { Outcome, OutcomeKind } from '../domain/outcome.js';
import { targetKindOf, type TargetKind } from '../domain/armId.js';
import { parseKeyId } from '../domain/keyId.js';
import type { Logger } from './ports.js';

/** Prefix of a server outcome line. */
export const ROTATION_OUTCOME_PREFIX = 'ROTATION_OUTCOME';
/** Prefix of a sync-agent outcome line. */
export const SYNC_AGENT_OUTCOME_PREFIX = 'SYNC_AGENT_OUTCOME';

/** One server's outcome for one key version. */
export interface RotationOutcomeRecord {
  /** Full ARM id of the target (the field keeps its first name: alert queries read it). */
  readonly server: string;
  /** Logical server, managed instance, or database with a database-level key; absent for an id of none of them. */
  readonly targetKind?: TargetKind;
  readonly outcome: OutcomeKind;
  /** True when the server is on the key version (rotated, or skipped because already done / left to Azure). */
  readonly success: boolean;
  readonly code?: string;
  readonly vault: string;
  readonly key: string;
  /**
   * The version the target converged to (reconciled targets), else the version of the item's key id; empty when
   * neither is known (a versionless item that was deferred or failed).
   */
  readonly keyVersion: string;
  /** ISO time. */
  readonly at: string;
}

/** One sync agent's outcome. */
export interface SyncAgentOutcomeRecord {
  readonly agent: string;
  readonly outcome: OutcomeKind;
  readonly success: boolean;
  readonly code?: string;
  /** Handoff records (code `HandoffOverdue`): the handoff state, and the secret version it is about. */
  readonly handoff?: 'overdue';
  readonly secretVersion?: string;
  readonly at: string;
}

/** Where outcome records go. Implementations never throw. */
export interface Metrics {
  rotationOutcome(record: RotationOutcomeRecord): void;
  syncAgentOutcome(record: SyncAgentOutcomeRecord): void;
}

/** Metrics as log lines (`PREFIX {json}`) through a Logger, for Application Insights `traces`. */
export class LogMetrics implements Metrics {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  rotationOutcome(record: RotationOutcomeRecord): void {
    this.#logger.info(ROTATION_OUTCOME_PREFIX, { ...record });
  }

  syncAgentOutcome(record: SyncAgentOutcomeRecord): void {
    this.#logger.info(SYNC_AGENT_OUTCOME_PREFIX, { ...record });
  }
}

/** Metrics that go nowhere. */
export const NO_METRICS: Metrics = { rotationOutcome: () => undefined, syncAgentOutcome: () => undefined };

/**
 * Records the outcomes of one key version (after rotateServerKeys, or after each processServerKeyItem).
 * Deferred outcomes are recorded too (they are not successes); `Queued` deferrals are not (nothing happened).
 */
export function recordServerOutcomes(metrics: Metrics, keyId: string, outcomes: readonly Outcome[], at: Date): void {
  let vault = '';
  let key = keyId;
  let keyVersion = '';
  try {
    const k = parseKeyId(keyId);
    vault = k.vaultName;
    key = k.name;
    keyVersion = k.version ?? '';
  } catch {
    // Not a key id: record it as given.
  }
  for (const o of outcomes) {
    if (o.kind === 'deferred' && o.code === 'Queued') continue;
    const targetKind = targetKindOf(o.target);
    metrics.rotationOutcome({
      server: o.target,
      ...(targetKind === undefined ? {} : { targetKind }),
      outcome: o.kind,
      success: isSuccess(o),
      ...(o.kind === 'deferred' || o.kind === 'failed' ? { code: o.code } : {}),
      vault,
      key,
      keyVersion: (o.kind === 'rotated' || o.kind === 'skipped' ? o.keyVersion : undefined) ?? keyVersion,
      at: at.toISOString(),
    });
  }
}

/** Records the outcomes of a sync-agent run (or of one queued retry). */
export function recordSyncAgentOutcomes(metrics: Metrics, outcomes: readonly Outcome[], at: Date): void {
  for (const o of outcomes) {
    metrics.syncAgentOutcome({
      agent: o.target,
      outcome: o.kind,
      success: isSuccess(o),
      ...(o.kind === 'deferred' || o.kind === 'failed' ? { code: o.code } : {}),
      at: at.toISOString(),
    });
  }
}

/** Rotated, or skipped (already done, younger than the interval, left to Azure): nothing is wrong. */
function isSuccess(o: Outcome): boolean {
  return o.kind === 'rotated' || o.kind === 'skipped';
}
