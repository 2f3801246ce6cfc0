/**
 * Injectable faults: a request matching a spec (route name, or method + URL regex) gets the fault instead of its
 * normal answer, N times or always.
 */
import { randomUUID } from 'node:crypto';
import { type EmulatorRequest } from './emulatorRequest.js';
import { armError, json, type EmulatorResponse } from './emulatorResponse.js';

/** The faults Azure produces that the product must survive. */
export type FaultKind =
  /** 429 with Retry-After. */
  | 'throttle'
  /** 503 ServiceUnavailable with Retry-After. */
  | 'serviceUnavailable'
  /** 500 OperationTimedOut. */
  | 'operationTimedOut'
  /** 409 OperationInterrupted. */
  | 'operationInterrupted'
  /** 409 EncryptionProtectorChangeInProgress (another protector change on the server is running). */
  | 'encryptionProtectorChangeInProgress'
  /** 503 AzureKeyVaultConnectionFailed (SQL could not reach Key Vault). */
  | 'keyVaultConnectionFailed'
  /**
   * For `arm.operations.status`: the operation ends `Failed` with no error object, so core-lro raises "The
   * long-running operation has failed" without a code.
   */
  | 'operationFailedWithoutCode'
  /** For `arm.operations.status`: the operation ends `Canceled` (core-lro: "Operation was canceled"). */
  | 'operationCanceled'
  /** TCP reset: the client sees a network error (ECONNRESET). */
  | 'connectionReset'
  /** Connection closed without an answer. */
  | 'connectionClose'
  /** No error, only `latencyMs` of delay. */
  | 'latency';

/** Every route name the emulator reports (in stats) and faults can target. */
export const ROUTE_NAMES = [
  'identity.token',
  'arm.servers.list',
  'arm.servers.listByResourceGroup',
  'arm.servers.get',
  'arm.serverKeys.list',
  'arm.serverKeys.get',
  'arm.serverKeys.createOrUpdate',
  'arm.serverKeys.delete',
  'arm.encryptionProtectors.list',
  'arm.encryptionProtectors.get',
  'arm.encryptionProtectors.createOrUpdate',
  'arm.syncAgents.listByServer',
  'arm.syncAgents.get',
  'arm.syncAgents.generateKey',
  'arm.operations.status',
  'arm.operations.result',
  'arm.unknown',
  'kv.keys.get',
  'kv.keys.listVersions',
  'kv.keys.create',
  'kv.keys.rotate',
  'kv.keys.update',
  'kv.secrets.set',
  'kv.secrets.get',
  'kv.secrets.listVersions',
  'kv.secrets.update',
  'kv.unknown',
  'unknown',
] as const;

/** Which requests a fault hits, and how. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Route name (e.g. `arm.serverKeys.createOrUpdate`, `kv.keys.get`); see `ROUTE_NAMES`. */
  readonly route?: string;
  /** HTTP method (any when omitted). */
  readonly method?: string;
  /** Tested against the full URL (host included). */
  readonly url?: RegExp;
  /** How many matching requests get it (default: every one). */
  readonly times?: number;
  /** Retry-After for throttle/serviceUnavailable (default 1). */
  readonly retryAfterSeconds?: number;
  /** Delay before answering (for kind `latency`, or on top of another fault). */
  readonly latencyMs?: number;
}

/** What the router does with a faulted request. */
export interface FaultOutcome {
  readonly latencyMs: number;
  readonly response?: EmulatorResponse;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
}

/** Holds the active faults. */
export class FaultInjector {
  private faults: ActiveFault[] = [];

  /** Adds a fault (first matching fault wins). */
  inject(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The fault for this request, consuming one use, or undefined. */
  take(req: EmulatorRequest, route: string): FaultOutcome | undefined {
    if (this.faults.length === 0) return undefined;
    const url = req.url.toString();
    for (const f of this.faults) {
      const s = f.spec;
      if (f.remaining <= 0) continue;
      if (s.route !== undefined && s.route !== route) continue;
      if (s.method !== undefined && s.method.toUpperCase() !== req.method.toUpperCase()) continue;
      if (s.url !== undefined && !s.url.test(url)) continue;
      f.remaining -= 1;
      if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
      return { latencyMs: s.latencyMs ?? 0, ...responseFor(s, req) };
    }
    return undefined;
  }
}

function responseFor(s: FaultSpec, req: EmulatorRequest): { response?: EmulatorResponse } {
  const retryAfter = String(s.retryAfterSeconds ?? 1);
  const kv = !/^management\./i.test(req.url.hostname);
  switch (s.kind) {
    case 'throttle':
      return kv
        ? { response: armError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached', { 'retry-after': retryAfter }) }
        : { response: armError(429, 'TooManyRequests', 'The request is being throttled.', { 'retry-after': retryAfter }) };
    case 'serviceUnavailable':
      return { response: armError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry.', { 'retry-after': retryAfter }) };
    case 'operationTimedOut':
      return { response: armError(500, 'OperationTimedOut', 'The operation timed out and automatically rolled back. Please retry the operation.') };
    case 'operationInterrupted':
      return { response: armError(409, 'OperationInterrupted', 'The operation on the resource could not be completed because it was interrupted by another operation on the same resource.') };
    case 'encryptionProtectorChangeInProgress':
      return { response: armError(409, 'EncryptionProtectorChangeInProgress', 'Cannot update database encryption key protector while protector change is already in progress') };
    case 'keyVaultConnectionFailed':
      return { response: armError(503, 'AzureKeyVaultConnectionFailed', 'The operation could not be completed on the server because attempts to connect to Azure Key Vault have failed') };
    case 'operationFailedWithoutCode':
      return { response: json(200, { name: randomUUID(), status: 'Failed', startTime: new Date().toISOString() }) };
    case 'operationCanceled':
      return { response: json(200, { name: randomUUID(), status: 'Canceled', startTime: new Date().toISOString() }) };
    case 'connectionReset':
      return { response: { action: 'reset' } };
    case 'connectionClose':
      return { response: { action: 'close' } };
    case 'latency':
      return {};
  }
}
