/**
 * Error taxonomy of the product. Every failure that crosses a port is a {@link RotationError}: it carries a
 * `code` (Azure's own code where there is one), a `class` that decides what happens next, and identifiers
 * (vault, key, version, server), never a secret.
 */
import type { ArmErrorCode } from './classifyArmError.js';

/** What the caller must do with a failure. */
export type ErrorClass =
  /**
   * Try again later through the backoff queue (429, 503, 500 OperationTimedOut, 409 OperationInterrupted and
   * EncryptionProtectorChangeInProgress, 503 AzureKeyVaultConnectionFailed, network, OperationFailed).
   */
  | 'retriable'
  /** A geo secondary does not have the key yet: try again on the ordering schedule. */
  | 'waitingOnOrder'
  /**
   * Nothing will change by retrying: validation errors, 404, other 409s, refused keys, sign-in failures
   * (AggregateAuthenticationError), canceled operations, bugs (UnexpectedError).
   */
  | 'terminal';

/** Codes raised by the product itself. */
export type ProductErrorCode =
  | 'InvalidKeyId'
  | 'InvalidEvent'
  /** A queue message that is not a work item. */
  | 'InvalidWorkItem'
  /** A key version (the one a protector is on) no longer exists in the vault. */
  | 'KeyVersionNotFound'
  | 'InvalidConfig'
  | 'InvalidArmId'
  | 'KeyNotConfigured'
  | 'StaleKeyVersion'
  | 'NoEnabledKeyVersion'
  | 'NetworkError'
  | 'UnexpectedResponse'
  /** A bug or an error nobody planned for (a TypeError in an SDK call): terminal, naming the step. */
  | 'UnexpectedError'
  /** A long-running operation failed without saying why (core-lro): retried a few times only. */
  | 'OperationFailed'
  /** A long-running operation was canceled (core-lro "Operation was canceled"): terminal. */
  | 'OperationCanceled'
  /** An Azure error code this product does not know by name (the code itself is in `details.azureCode`). */
  | 'UnknownAzureError'
  /** An HTTP error answer without any error code (the status is in `details.statusCode`). */
  | 'HttpError'
  | 'SecretWriteFailed'
  | 'SecretNameCollision'
  /** A work item asks for something ROTATION_CONFIG does not hold (unconfigured target, foreign vault or secret). */
  | 'NotInConfig'
  | 'AuthenticationFailed'
  | 'ClientThrottled'
  | 'WaitingForGeoSecondary'
  | 'MaxAttemptsExceeded'
  /** Outcome markers (a deferred outcome's code), not failures. */
  | 'Queued'
  | 'Pending';

/** Key Vault / Managed HSM data-plane codes (the `error.code` of its answers) that this product reasons about. */
export const KEY_VAULT_ERROR_CODES = [
  'Unauthorized',
  'Forbidden',
  'KeyNotFound',
  'SecretNotFound',
  'VaultNotFound',
  'BadParameter',
  'Throttled',
  'KeyDisabled',
  'SecretDisabled',
] as const;
export type KeyVaultErrorCode = (typeof KEY_VAULT_ERROR_CODES)[number];

/** Azure's own codes that this product reasons about: every ARM code of the classification table, and Key Vault's. */
export type AzureErrorCode = ArmErrorCode | KeyVaultErrorCode;

/** Closed: a code the compiler does not know is a bug (an unknown Azure code becomes `UnknownAzureError`). */
export type ErrorCode = ProductErrorCode | AzureErrorCode;

/** Identifiers attached to an error for logs and dead-letter reasons. Never a secret. */
export interface ErrorDetails {
  readonly vault?: string;
  readonly key?: string;
  readonly version?: string;
  readonly server?: string;
  readonly agent?: string;
  readonly statusCode?: number;
  /** Azure's own error code when it is not one this product knows by name (`UnknownAzureError`). */
  readonly azureCode?: string;
  /** The adapter call that failed, e.g. `serverKeys.beginCreateOrUpdate` (named in `UnexpectedError`). */
  readonly step?: string;
  /** Minimum wait before a retry, from `Retry-After` or `x-ms-retry-after-ms`. */
  readonly retryAfterMs?: number;
}

export interface RotationErrorOptions {
  readonly cause?: unknown;
  readonly details?: ErrorDetails;
}

/** Base error: a code, a class, and identifiers. Check `name`/`code`, not only `instanceof`. */
export class RotationError extends Error {
  override readonly name: string = 'RotationError';
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, errorClass: ErrorClass, message: string, options: RotationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorClass = errorClass;
    this.details = options.details ?? {};
  }

  /** True when the backoff queue should try again (retriable or waiting on order). */
  get retriable(): boolean {
    return this.errorClass !== 'terminal';
  }
}

/** A key identifier that is not a Key Vault / Managed HSM key URI this product accepts. */
export class InvalidKeyIdError extends RotationError {
  override readonly name = 'InvalidKeyIdError';
  constructor(message: string, options: RotationErrorOptions = {}) {
    super('InvalidKeyId', 'terminal', message, options);
  }
}

/** An Event Grid event that cannot be processed (malformed, inconsistent). */
export class InvalidEventError extends RotationError {
  override readonly name = 'InvalidEventError';
  constructor(message: string, options: RotationErrorOptions = {}) {
    super('InvalidEvent', 'terminal', message, options);
  }
}

/** A queue message that is not a work item (malformed, unknown kind). */
export class InvalidWorkItemError extends RotationError {
  override readonly name = 'InvalidWorkItemError';
  constructor(message: string, options: RotationErrorOptions = {}) {
    super('InvalidWorkItem', 'terminal', message, options);
  }
}

/** One problem found while validating configuration. */
export interface ConfigProblem {
  /** Where: the app setting and the JSON path, e.g. `ROTATION_CONFIG.keys[0].servers[2].id`. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** Configuration is invalid: lists every problem at once. */
export class ConfigError extends RotationError {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      'InvalidConfig',
      'terminal',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.problems = problems;
  }
}

/** Narrowing helper that works across module copies (checks shape, not prototype). */
export function isRotationError(e: unknown): e is RotationError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { errorClass?: unknown }).errorClass === 'string'
  );
}
