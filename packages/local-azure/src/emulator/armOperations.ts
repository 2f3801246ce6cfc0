/**
 * ARM's long-running-operation protocol as Microsoft.Sql answers it: 202 with Azure-AsyncOperation, Location and
 * Retry-After, then status polls (InProgress until done) and the final GET of the Location URL. Shared by the
 * server, managed-instance and database routes.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorRequest } from './emulatorRequest.js';
import { armError, json, type EmulatorResponse } from './emulatorResponse.js';

/** Kinds of long-running operation, as they appear in the operation URLs (`{kind}AzureAsyncOperation`). */
export type LroKind = 'serverKey' | 'encryptionProtector' | 'managedInstanceKey' | 'managedInstanceEncryptionProtector' | 'database';

/** Where an operation runs (its `locations/{location}` operation URLs). */
export interface OperationScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/** How operations behave. */
export interface ArmOperationsOptions {
  /** Retry-After on LRO answers; false sends none (as the recorded azure-cli flow shows for server keys). */
  readonly lroRetryAfterSeconds: number | false;
  /** Status polls answering InProgress before Succeeded (a minimum, on top of the duration). */
  readonly lroInProgressPolls: number;
  /**
   * How long an operation runs before its status says Succeeded, in milliseconds of the clock: one figure for
   * every kind, or per kind (`serverKey`, `encryptionProtector`, see {@link LroKind}). Default 0.
   */
  readonly operationDurationMs?: number | Readonly<Partial<Record<LroKind, number>>>;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
}

interface Operation {
  readonly id: string;
  readonly startTime: string;
  remainingPolls: number;
  /** Clock time at which the operation has completed. */
  readonly doneAt: number;
  /** The resource as the final GET of the Location URL returns it. */
  readonly result: () => unknown;
}

/** Operations remembered for polling. */
const MAX_OPERATIONS = 50_000;

/** The operations started and not yet forgotten, answering their status and result polls. */
export class ArmOperations {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly options: ArmOperationsOptions) {}

  /**
   * Starts a long-running operation and answers 202: with Azure-AsyncOperation, Location and Retry-After, or (a
   * database update, final state via location) with Location alone, as the spec's example shows.
   */
  accepted(req: EmulatorRequest, scope: OperationScope, kind: LroKind, operation: string, result: () => unknown, locationOnly = false): EmulatorResponse {
    const id = randomUUID();
    const now = this.options.clock();
    const startTime = new Date(now).toISOString();
    const d = this.options.operationDurationMs;
    const durationMs = typeof d === 'number' ? d : (d?.[kind] ?? 0);
    this.operations.set(id, { id, startTime, remainingPolls: this.options.lroInProgressPolls, doneAt: now + durationMs, result });
    // Bounded: a long-running demo or benchmark must not grow without limit (Map keeps insertion order).
    if (this.operations.size > MAX_OPERATIONS) {
      const oldest = this.operations.keys().next().value;
      if (oldest !== undefined) this.operations.delete(oldest);
    }
    const base = `https://${req.url.host}/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Sql/locations/${scope.location}`;
    const apiVersion = req.url.searchParams.get('api-version') ?? '';
    const location = `${base}/${kind}OperationResults/${id}?api-version=${apiVersion}`;
    if (locationOnly) return json(202, {}, { location, ...this.retryAfter() });
    return json(202, { operation, startTime }, { 'azure-asyncoperation': `${base}/${kind}AzureAsyncOperation/${id}?api-version=${apiVersion}`, location, ...this.retryAfter() });
  }

  /** GET of an operation's Azure-AsyncOperation URL. */
  status(id: string): EmulatorResponse {
    const op = this.operations.get(id);
    if (!op) return armError(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    if (this.inProgress(op)) return json(200, { name: id, status: 'InProgress', startTime: op.startTime }, this.retryAfter());
    return json(200, { name: id, status: 'Succeeded', startTime: op.startTime });
  }

  /** GET of an operation's Location URL: 202 while it runs, then the resource (or 204). */
  result(id: string): EmulatorResponse {
    const op = this.operations.get(id);
    if (!op) return armError(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    if (this.inProgress(op)) return { status: 202, headers: this.retryAfter() };
    const body = op.result();
    return body === undefined ? { status: 204 } : json(200, body);
  }

  private retryAfter(): Record<string, string> {
    const s = this.options.lroRetryAfterSeconds;
    return s === false ? {} : { 'retry-after': String(s) };
  }

  /** Counts one poll; true while the operation is still running. */
  private inProgress(op: Operation): boolean {
    if (op.remainingPolls > 0) {
      op.remainingPolls -= 1;
      return true;
    }
    return this.options.clock() < op.doneAt;
  }
}
