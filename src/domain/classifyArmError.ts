/**
 * What to do with a failed ARM call (Microsoft.Sql server keys, encryption protectors, servers, sync agents).
 *
 * The seed table is every error code named in the `default` response descriptions of the 2025-01-01
 * ServerKeys.json and EncryptionProtectors.json specs (../shared/vectors/sql-spec/2025-01-01), plus a few generic
 * ARM codes that arrive without a status code through failed long-running operations. A test reads the specs
 * and asserts that every code named there is in this table and lands in its class.
 *
 * Rules, in order: a code in the table decides; else a network error is retriable; else the status decides
 * (408, 429 and 5xx retriable; 401, 403, 404, 409 and every other 4xx terminal); else (no status, unknown code)
 * terminal, because retrying something nobody understands only delays the loud failure.
 *
 * Choices beyond the list, and why:
 * - Other 500 codes (and 502, 504, any 5xx) are retriable: they are the server's fault, ARM's RPC asks clients
 *   to retry them, and the attempt limit bounds the cost of a 500 that is really permanent.
 * - 409 EncryptionProtectorChangeInProgress is retriable: like OperationInterrupted it says "another change on
 *   this resource is running"; once it finishes the same request succeeds.
 * - 400 OldGenerationOfAKVKeyBeingUsedError (SQL refuses an older key version as protector) stays terminal in
 *   the table, but it is not a failure of the rotation: a newer version is already in place, which is what the
 *   "never backwards" rule wants. {@link isNewerVersionInPlace} lets the use case report it as skipped.
 * - A failed long-running operation whose error carries no code (core-lro: "The long-running operation has
 *   failed") is `OperationFailed`: retriable, but only {@link OPERATION_FAILED_MAX_ATTEMPTS} attempts in all
 *   (see CODE_MAX_ATTEMPTS in nextDelayMs.ts), because nobody can tell whether it was transient.
 * - 409 ServerKeyUriAlreadyExists is success: the server key name is derived from the URI (`vault_key_version`),
 *   so the URI being registered means our key is already there.
 * - Database-level keys (Databases.json update): `PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse` is
 *   retriable on a long schedule (at least {@link OLD_THUMBPRINT_IN_USE_RETRY_MS} between attempts; the log still
 *   uses the old key until its transactions end); a geo secondary database missing the key waits on order like a
 *   geo secondary server; a copy or failover in progress and 409 Conflicting*Operation are retriable.
 * - 400s stay terminal even where they smell transient (AkvKeyTimeout, ManagedInstanceStarting): the spec
 *   classes them as validation failures, they concern SQL's own reachability of Key Vault or Managed Instance
 *   state, and an operator has to look; the dead-letter names the code.
 */
import type { ErrorClass } from './errors.js';

export type ArmErrorDisposition = ErrorClass | 'success';

export interface ArmErrorRule<C extends string = string> {
  readonly code: C;
  /** The status the spec pairs the code with (informative; classification by code ignores it). */
  readonly statusCode: number;
  readonly class: ArmErrorDisposition;
  readonly why: string;
  /** A retriable code that is pointless to retry sooner: the least wait before the next attempt (a long schedule). */
  readonly minRetryDelayMs?: number;
}

const VALIDATION = 'validation failure (400): retrying the same request cannot succeed';
const NOT_FOUND = 'not found (404): the server, key or operation does not exist';
const CONFLICT = 'conflict (409) that retrying does not resolve';

function rules<const C extends string>(
  statusCode: number,
  cls: ArmErrorDisposition,
  why: string,
  codes: readonly C[],
  minRetryDelayMs?: number,
): ArmErrorRule<C>[] {
  return codes.map((code) => ({ code, statusCode, class: cls, why, ...(minRetryDelayMs === undefined ? {} : { minRetryDelayMs }) }));
}

/**
 * Least wait before retrying a database-level key rotation refused while the log still holds transactions
 * encrypted with the old key: those transactions have to end (and the log move on) first, which takes minutes to
 * hours, not seconds. With the default 10 attempts that is a window of about two and a half hours.
 */
export const OLD_THUMBPRINT_IN_USE_RETRY_MS = 15 * 60_000;

/** The seed table: code -> class and why. Exported as data so tests iterate it. */
export const ARM_ERROR_SEED_TABLE = Object.freeze([
  ...rules(400, 'waitingOnOrder', 'geo secondary does not have the key yet: add it there first, then retry the primary', [
    'KeyMaterialNotFoundOnRemoteServer',
    'SameKeyMaterialNotFoundOnRemoteServer',
    'SameKeyUriNotFoundOnRemoteServer',
    // Database-level keys (Databases.json, ManagedInstanceKeys.json): the geo secondary database lacks the key.
    'PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary',
    'PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary',
    'SourceDatabaseEncryptionProtectorKeyUriRequiredForPerDatabaseCMKCopyOrReplication',
  ]),
  // Database-level keys (the update operation of Databases.json 2025-01-01).
  ...rules(
    400,
    'retriable',
    'database-level protector change blocked while active transactions hold log encrypted with the old key: retry on a long schedule',
    ['PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse'],
    OLD_THUMBPRINT_IN_USE_RETRY_MS,
  ),
  ...rules(400, 'retriable', 'a copy, failover or seeding of the database is running: the same update succeeds once it ends', [
    'UpdateNotAllowedIfGeoDrOperationInProgress',
    'UpdateNotAllowedInCurrentReplicationState',
  ]),
  ...rules(400, 'terminal', 'database-level key configuration an operator has to change (geo pair, backup retention, pause)', [
    'PerDatabaseCMKGeoPrimaryIsNotConfiguredWithDatabaseLevelEncryptionProtector',
    'PerDatabaseCMKGeoPrimaryIsConfiguredWithDatabaseLevelEncryptionProtector',
    'PerDatabaseCMKCopyOrReplicationAttemptedWithoutDatabaseLevelEncryptionProtector',
    'PerDatabaseCMKGeoReplicationNotSupported',
    'PerDBCMKNotSupportedWithLTR',
    'UpdateNotAllowedOnPausedDatabase',
    'AzureKeyVaultClientError',
    'AzureKeyVaultClientInfoError',
  ]),
  ...rules(404, 'terminal', 'not found (404): the database does not exist', ['DatabaseDoesNotExist']),
  ...rules(409, 'retriable', 'another operation on the database or its server is running: the same update succeeds later', [
    'ConflictingDatabaseOperation',
    'ConflictingServerOperation',
    'ConflictingSystemOperationInProgress',
  ]),
  ...rules(503, 'retriable', 'the database is unavailable for now: transient', ['DatabaseUnavailable']),
  ...rules(504, 'retriable', 'service request timed out: transient', ['RequestTimeout']),
  ...rules(400, 'terminal', 'refused key (same code as the pre-flight check)', [
    'AzureKeyVaultKeyDisabled',
    'AzureKeyVaultRsaKeyNotSupported',
    'AzureKeyVaultInvalidExpirationDate',
  ]),
  ...rules(400, 'terminal', VALIDATION, [
    'AdalGenericError',
    'AdalServicePrincipalNotFound',
    'AkvEndpointNotReachableFromNode',
    'AkvHostNotResolvingFromNode',
    'AkvKeyAccessDenied',
    'AkvKeyAccessGeneral403',
    'AkvKeyDNS',
    'AkvKeyDeleted',
    'AkvKeyDisabled',
    'AkvKeyOperationNotAllowed',
    'AkvKeyOperationNotAllowedByFirewall',
    'AkvKeyOperationNotAllowedByRBAC',
    'AkvKeyTimeout',
    'AzureKeyVaultInvalidUri',
    'AzureKeyVaultKeyNameCurrentlyInUse',
    'AzureKeyVaultKeyThumbprintIsDifferent',
    'AzureKeyVaultKeyUsedOnGeoPrimary',
    'AzureKeyVaultMalformedVaultUri',
    'AzureKeyVaultMissingPermissions',
    'AzureKeyVaultNoServerIdentity',
    'BlockSystemAssignedIdentityForCrossTenantCMK',
    'CMKOperationNotAllowed',
    'CannotDropDatabaseAKVError',
    'CreateDatabaseAttemptedWithRotationInProgress',
    'InvalidEncryptionProtectorName',
    'InvalidKeyName',
    'InvalidKeyType',
    'InvalidKeyUpsertRequest',
    'InvalidUpsertKeyType',
    'ManagedInstanceNoConditionToMakeDatabaseAccessible',
    'ManagedInstanceStarting',
    'ManagedInstanceStoppingOrStopped',
    'MissingKeyVaultUriForRestore',
    'PerDatabaseCMKCopyOrReplicationAttemptedWithoutCurrentKeys',
    'PerDatabaseCMKCopyOrReplicationAttemptedWithoutCurrentKeysWithDatabaseName',
    'PerDatabaseCMKDWNotSupported',
    'PerDatabaseCMKHSNotSupported',
    'PerDatabaseCMKMissingIdentityOnGeoSecondaryDatabase',
    'PerDatabaseCMKRestoreNotSupported',
    'SecurityAdalPrincipalCertExpiredError',
    'SecurityAzureKeyVaultGeoChainError',
    'SecurityAzureKeyVaultInvalidKeyName',
    'SecurityAzureKeyVaultUrlNullOrEmpty',
    'SecurityInvalidAzureKeyVaultRecoveryLevel',
    'UmiMissingAkvPermissions',
  ]),
  ...rules(400, 'terminal', 'an older key version than the protector in place is refused: a newer version is in place (isNewerVersionInPlace)', [
    'OldGenerationOfAKVKeyBeingUsedError',
  ]),
  ...rules(404, 'terminal', NOT_FOUND, [
    'OperationIdNotFound',
    'ResourceNotFound',
    'ServerKeyNotFound',
    'ServerNotInSubscriptionResourceGroup',
    'SubscriptionDoesNotHaveServer',
  ]),
  ...rules(409, 'success', 'the server key is already registered: the upsert is idempotent', ['ServerKeyNameAlreadyExists']),
  ...rules(409, 'success', 'the key URI is already registered, and the server key name is derived from it', [
    'ServerKeyUriAlreadyExists',
  ]),
  ...rules(409, 'retriable', 'another operation on the same resource got in the way: the same request succeeds later', [
    'OperationInterrupted',
    'EncryptionProtectorChangeInProgress',
  ]),
  ...rules(409, 'terminal', CONFLICT, [
    'AzureKeyVaultKeyInUse',
    'AzureKeyVaultKeyNameNotFound',
    'CannotCancelOperation',
    'OperationCancelled',
    'ServerKeyDoesNotExists',
  ]),
  ...rules(429, 'retriable', 'throttled: retry after Retry-After', ['SubscriptionTooManyCreateUpdateRequests', 'SubscriptionTooManyRequests']),
  ...rules(500, 'retriable', 'timed out and rolled back: the spec says to retry', ['OperationTimedOut']),
  ...rules(503, 'retriable', 'SQL could not reach Key Vault or is overloaded: transient', [
    'AzureKeyVaultConnectionFailed',
    'AzureKeyVaultGenericConnectionError',
    'TooManyRequests',
  ]),
  // Generic ARM codes (common-api-details, async operations) that arrive without a status through failed LROs.
  ...rules(500, 'retriable', 'server-side failure: retry within the attempt limit', ['InternalServerError', 'RetryableError']),
  ...rules(503, 'retriable', 'service unavailable: transient', ['ServiceUnavailable']),
  ...rules(504, 'retriable', 'gateway timeout: transient', ['GatewayTimeout']),
  ...rules(401, 'terminal', 'authentication failed: fix the identity', ['InvalidAuthenticationToken', 'AuthenticationFailed']),
  ...rules(403, 'terminal', 'missing role assignment: fix RBAC', ['AuthorizationFailed', 'LinkedAuthorizationFailed']),
  ...rules(404, 'terminal', NOT_FOUND, ['ResourceGroupNotFound', 'SubscriptionNotFound', 'ParentResourceNotFound']),
  ...rules(409, 'terminal', CONFLICT, ['Conflict']),
].map((r) => Object.freeze(r)));

/** Every code of the seed table: the Azure (ARM) codes this product knows by name. */
export type ArmErrorCode = (typeof ARM_ERROR_SEED_TABLE)[number]['code'];

const BY_CODE: ReadonlyMap<string, ArmErrorRule<ArmErrorCode>> = new Map(
  ARM_ERROR_SEED_TABLE.map((r) => [r.code.toLowerCase(), r]),
);

/** The least wait before retrying this code, when the table gives one (see {@link ArmErrorRule.minRetryDelayMs}). */
export function minRetryDelayMs(code: string): number | undefined {
  return BY_CODE.get(code.toLowerCase())?.minRetryDelayMs;
}

/** The seed table's spelling of a code (ARM codes compare case-insensitively), or undefined when unknown. */
export function knownArmErrorCode(code: string): ArmErrorCode | undefined {
  return BY_CODE.get(code.toLowerCase())?.code;
}

/** SQL's refusal of an older key version as protector: a newer version is in place (see the file comment). */
export const NEWER_VERSION_IN_PLACE_CODE = 'OldGenerationOfAKVKeyBeingUsedError' satisfies ArmErrorCode;

/**
 * True when a failed protector switch means "a newer version of this key is already the protector": the use
 * case reports the outcome `skipped` (a newer version is in place) instead of a failure.
 */
export function isNewerVersionInPlace(error: { readonly code?: unknown }): boolean {
  return typeof error.code === 'string' && error.code.toLowerCase() === NEWER_VERSION_IN_PLACE_CODE.toLowerCase();
}

/** Attempts in all for a failed long-running operation that named no code (`OperationFailed`). */
export const OPERATION_FAILED_MAX_ATTEMPTS = 3;

/**
 * Node / undici / core-rest-pipeline transport error codes: the request may not have reached Azure, so trying
 * again is safe. The one list: the adapters' error translation (src/azure/toRotationError.ts) uses it too.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENETRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'REQUEST_SEND_ERROR',
  'NetworkError',
]);

export interface ArmErrorInput {
  readonly statusCode?: number;
  /** ARM's `error.code`, or a Node network error code. */
  readonly code?: string;
  /** True when no HTTP response came back at all. */
  readonly networkError?: boolean;
}

/** Classifies a failed ARM call; `'success'` means the wanted state is already there (idempotent upsert). */
export function classifyArmError(error: ArmErrorInput): ArmErrorDisposition {
  const { statusCode, code, networkError } = error;
  if (code !== undefined) {
    const byCode = BY_CODE.get(code.toLowerCase());
    if (byCode !== undefined) return byCode.class;
    if (statusCode === undefined && NETWORK_ERROR_CODES.has(code)) return 'retriable';
  }
  if (networkError === true && statusCode === undefined) return 'retriable';
  if (statusCode === undefined) return 'terminal';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'retriable';
  return 'terminal';
}
