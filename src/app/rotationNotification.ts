/**
 * What the Notifier port (ports.ts) carries, and the builders that make it from outcomes and work items:
 * a key version rolled out or refused, a dead-lettered work item, critical drift, a sync-agent rotation run.
 * Identifiers and outcomes only, never a secret: sync-agent notifications name the agent, the secret name and
 * the outcome, nothing else. Pure.
 */
import { targetKindOf, type TargetKind } from '../domain/armId.js';
import { parseKeyId } from '../domain/keyId.js';
import { summarize, type Outcome, type OutcomeKind } from '../domain/outcome.js';
import type { WorkItem } from '../domain/workItem.js';

/** One target's outcome in a notification. */
export interface ServerOutcomeNotice {
  /** ARM id of the target (server, managed instance or database). */
  readonly server: string;
  /** The kind of target, when the id names one. */
  readonly targetKind?: TargetKind;
  readonly outcome: OutcomeKind;
  /** Error code for deferred and failed outcomes. */
  readonly code?: string;
  /** What happened (rotated: the detail; otherwise the reason). Identifiers only. */
  readonly detail: string;
}

/** One sync agent's outcome in a notification: agent, secret name and outcome only. */
export interface SyncAgentOutcomeNotice {
  readonly agent: string;
  readonly secretName?: string;
  readonly outcome: OutcomeKind;
  readonly code?: string;
}

/** What both key-version notifications carry: the version, the run, and what started it. */
export interface KeyVersionNoticeBase {
  /** ISO time. */
  readonly at: string;
  readonly vault: string;
  readonly key: string;
  readonly version: string;
  /** Versioned key URI. */
  readonly keyId: string;
  /** Event id or CLI run id. */
  readonly correlationId: string;
  /** What started it: an Event Grid event, or the CLI. */
  readonly trigger: 'event' | 'cli';
}

/** What is notified. Every variant holds identifiers and outcomes only. */
export type RotationNotification =
  | (KeyVersionNoticeBase & {
      /** A key version was rolled out (some servers may still be retrying: see `summary.deferred`). */
      readonly kind: 'rotationCompleted';
      readonly servers: readonly ServerOutcomeNotice[];
      readonly summary: Readonly<Record<OutcomeKind, number>>;
    })
  | (KeyVersionNoticeBase & {
      /** The key version was refused before any write (disabled, wrong type or size, outside its validity). */
      readonly kind: 'rotationRefused';
      readonly code: string;
      readonly reason: string;
      readonly servers: number;
    })
  | {
      /** A work item failed for good (terminal error or attempts exhausted). */
      readonly kind: 'deadLetter';
      readonly at: string;
      readonly workItem: 'reconcile' | 'discover' | 'syncAgentKey';
      /** Target (server, managed instance, database), discovery scope or sync agent id. */
      readonly target: string;
      /** Reconcile items: the kind of target. */
      readonly targetKind?: TargetKind;
      /** Dead-letter reason: an error code or MaxAttemptsExceeded. */
      readonly reason: string;
      /** Server items only: the description (sync-agent items carry the reason code alone). */
      readonly description?: string;
      readonly attempt: number;
      readonly correlationId: string;
      /** Reconcile and discover items: the key (versionless) and the version hint, if any. */
      readonly keyId?: string;
      readonly vault?: string;
      readonly key?: string;
      readonly version?: string;
      /** Sync-agent items: the secret name. */
      readonly secretName?: string;
    }
  | {
      /**
       * A protector is on a key version Azure SQL cannot use (disabled, expired, deleted): its databases become
       * inaccessible within about 30 minutes. Sent at once, whatever else the run does.
       */
      readonly kind: 'criticalDrift';
      readonly at: string;
      readonly target: string;
      /** Logical server, managed instance or database with its own key. */
      readonly targetKind?: TargetKind;
      /** Versioned key URI of the protector's version. */
      readonly keyId: string;
      readonly vault: string;
      readonly key: string;
      readonly version: string;
      readonly code: string;
      readonly reason: string;
      readonly correlationId: string;
    }
  | {
      /** A sync-agent rotation run ended. */
      readonly kind: 'syncAgentRotation';
      readonly at: string;
      readonly correlationId: string;
      readonly trigger: 'timer' | 'cli';
      readonly agents: readonly SyncAgentOutcomeNotice[];
      readonly summary: Readonly<Record<OutcomeKind, number>>;
    };

/** The notification of a dead-lettered item. Sync-agent items: agent, secret name and reason code only. */
export function deadLetterNotification(item: WorkItem, reason: string, description: string, at: Date): RotationNotification {
  const common = {
    kind: 'deadLetter' as const,
    at: at.toISOString(),
    target: item.target,
    reason,
    attempt: item.attempt,
    correlationId: item.correlationId,
  };
  if (item.kind === 'syncAgentKey') return { ...common, workItem: 'syncAgentKey', secretName: item.secretName };
  const keyId = item.versionHint === undefined ? item.key : `${item.key}/${item.versionHint}`;
  return { ...common, workItem: item.kind, ...(item.kind === 'reconcile' ? kindOf(item.target) : {}), description, keyId, ...keyParts(keyId) };
}

/** The notification of critical drift on one target (see the `criticalDrift` variant). */
export function criticalDriftNotification(c: {
  readonly target: string;
  readonly keyId: string;
  readonly code: string;
  readonly reason: string;
  readonly correlationId: string;
  readonly at: Date;
}): RotationNotification {
  return {
    kind: 'criticalDrift',
    at: c.at.toISOString(),
    target: c.target,
    ...kindOf(c.target),
    keyId: c.keyId,
    ...keyParts(c.keyId),
    code: c.code,
    reason: c.reason,
    correlationId: c.correlationId,
  };
}

/** Input of {@link keyVersionNotification}. */
export interface KeyVersionResult {
  /** Versioned key URI. */
  readonly keyId: string;
  readonly correlationId: string;
  readonly trigger: 'event' | 'cli';
  readonly at: Date;
  readonly result:
    | { readonly kind: 'processed'; readonly outcomes: readonly Outcome[] }
    | { readonly kind: 'refused'; readonly code: string; readonly reason: string; readonly outcomes: readonly Outcome[] };
}

/** The notification of a key version rolled out (or refused). */
export function keyVersionNotification(r: KeyVersionResult): RotationNotification {
  const parts = keyParts(r.keyId);
  const common = { at: r.at.toISOString(), ...parts, keyId: r.keyId, correlationId: r.correlationId, trigger: r.trigger };
  if (r.result.kind === 'refused') {
    return { kind: 'rotationRefused', ...common, code: r.result.code, reason: r.result.reason, servers: r.result.outcomes.length };
  }
  return {
    kind: 'rotationCompleted',
    ...common,
    servers: r.result.outcomes.map(serverNotice),
    summary: summarize(r.result.outcomes),
  };
}

/** A sync-agent rotation run, as notified. */
export interface SyncAgentRun {
  readonly correlationId: string;
  readonly trigger: 'timer' | 'cli';
  readonly outcomes: readonly Outcome[];
  /** Secret name per agent id (lower-cased id), when known. */
  readonly secretNames?: ReadonlyMap<string, string>;
}

/** The notification of a sync-agent rotation run (see {@link notifySyncAgentRun}). */
export function syncAgentNotification(run: SyncAgentRun, at: Date): RotationNotification {
  return {
    kind: 'syncAgentRotation',
    at: at.toISOString(),
    correlationId: run.correlationId,
    trigger: run.trigger,
    agents: run.outcomes.map((o) => {
      const secretName = run.secretNames?.get(o.target.toLowerCase());
      return {
        agent: o.target,
        ...(secretName === undefined ? {} : { secretName }),
        outcome: o.kind,
        ...(o.kind === 'deferred' || o.kind === 'failed' ? { code: o.code } : {}),
      };
    }),
    summary: summarize(run.outcomes),
  };
}

function serverNotice(o: Outcome): ServerOutcomeNotice {
  switch (o.kind) {
    case 'rotated':
      return { server: o.target, ...kindOf(o.target), outcome: o.kind, detail: o.detail };
    case 'skipped':
      return { server: o.target, ...kindOf(o.target), outcome: o.kind, detail: o.reason };
    case 'deferred':
    case 'failed':
      return { server: o.target, ...kindOf(o.target), outcome: o.kind, code: o.code, detail: o.reason };
  }
}

function keyParts(keyId: string): { vault: string; key: string; version: string } {
  try {
    const k = parseKeyId(keyId);
    return { vault: k.vaultName, key: k.name, version: k.version ?? '' };
  } catch {
    return { vault: '', key: keyId, version: '' };
  }
}

/** `{ targetKind }` when the id names a TDE target, nothing otherwise. */
function kindOf(id: string): { targetKind?: TargetKind } {
  const targetKind = targetKindOf(id);
  return targetKind === undefined ? {} : { targetKind };
}
