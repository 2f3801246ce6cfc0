import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARM_ERROR_SEED_TABLE,
  NETWORK_ERROR_CODES,
  classifyArmError,
  isNewerVersionInPlace,
  knownArmErrorCode,
  minRetryDelayMs,
  OLD_THUMBPRINT_IN_USE_RETRY_MS,
} from '../../src/domain/classifyArmError.js';

/** Servers and managed instances: every code their key and protector operations name. */
const SPECS = ['ServerKeys.json', 'EncryptionProtectors.json', 'ManagedInstanceKeys.json', 'ManagedInstanceEncryptionProtectors.json'].map((f) =>
  resolve(__dirname, '../../../shared/vectors/sql-spec/2025-01-01', f),
);

/** Every `* {status} {Code} - ...` line of the specs' error-response descriptions. */
function specCodes(): { statusCode: number; code: string }[] {
  const seen = new Map<string, { statusCode: number; code: string }>();
  for (const file of SPECS) {
    const lines = [...readFileSync(file, 'utf8').matchAll(/\* (\d{3}) ([A-Za-z0-9]+) - /g)];
    // A spec file that yields no code would quietly shrink every table built on it.
    if (lines.length === 0) throw new Error(`no error codes read from ${file}`);
    for (const m of lines) seen.set(`${m[1]} ${m[2]}`, { statusCode: Number(m[1]), code: m[2]! });
  }
  return [...seen.values()];
}

const DATABASES_SPEC = resolve(__dirname, '../../../shared/vectors/sql-spec/2025-01-01/Databases.json');

/** The codes the database update (`Databases_Update`) names, with their status. */
function databaseUpdateCodes(): Map<string, number> {
  const spec = JSON.parse(readFileSync(DATABASES_SPEC, 'utf8')) as { paths: Record<string, Record<string, { responses: { default: { description: string } } }>> };
  const op = Object.entries(spec.paths).find(([p]) => p.endsWith('/servers/{serverName}/databases/{databaseName}'))?.[1]['patch'];
  const codes = new Map<string, number>();
  for (const m of (op?.responses.default.description ?? '').matchAll(/\* (\d{3}) ([A-Za-z0-9]+) - /g)) codes.set(m[2]!, Number(m[1]));
  if (codes.size === 0) throw new Error(`no error codes read from the database update of ${DATABASES_SPEC}`);
  return codes;
}

/**
 * Database-level keys: what a database update that adds a key and sets the protector can meet, and what this
 * product does with it (expectations written from the spec's descriptions, not read back from the table).
 */
const DATABASE_KEY_CODES = [
  ['PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse', 400, 'retriable'],
  ['SourceDatabaseEncryptionProtectorKeyUriRequiredForPerDatabaseCMKCopyOrReplication', 400, 'waitingOnOrder'],
  ['PerDatabaseCMKGeoPrimaryIsNotConfiguredWithDatabaseLevelEncryptionProtector', 400, 'terminal'],
  ['PerDatabaseCMKGeoPrimaryIsConfiguredWithDatabaseLevelEncryptionProtector', 400, 'terminal'],
  ['PerDatabaseCMKCopyOrReplicationAttemptedWithoutDatabaseLevelEncryptionProtector', 400, 'terminal'],
  ['PerDatabaseCMKCopyOrReplicationAttemptedWithoutCurrentKeys', 400, 'terminal'],
  ['PerDatabaseCMKGeoReplicationNotSupported', 400, 'terminal'],
  ['PerDBCMKNotSupportedWithLTR', 400, 'terminal'],
  ['UpdateNotAllowedOnPausedDatabase', 400, 'terminal'],
  ['UpdateNotAllowedIfGeoDrOperationInProgress', 400, 'retriable'],
  ['UpdateNotAllowedInCurrentReplicationState', 400, 'retriable'],
  ['AzureKeyVaultKeyDisabled', 400, 'terminal'],
  ['AzureKeyVaultInvalidExpirationDate', 400, 'terminal'],
  ['AzureKeyVaultRsaKeyNotSupported', 400, 'terminal'],
  ['AzureKeyVaultClientError', 400, 'terminal'],
  ['AzureKeyVaultClientInfoError', 400, 'terminal'],
  ['AzureKeyVaultKeyThumbprintIsDifferent', 400, 'terminal'],
  ['KeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder'],
  ['SameKeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder'],
  ['DatabaseDoesNotExist', 404, 'terminal'],
  ['ConflictingDatabaseOperation', 409, 'retriable'],
  ['ConflictingServerOperation', 409, 'retriable'],
  ['ConflictingSystemOperationInProgress', 409, 'retriable'],
  ['OperationInterrupted', 409, 'retriable'],
  ['AzureKeyVaultKeyNameNotFound', 409, 'terminal'],
  ['DatabaseUnavailable', 503, 'retriable'],
  ['AzureKeyVaultConnectionFailed', 503, 'retriable'],
  ['RequestTimeout', 504, 'retriable'],
] as const;

describe('Function: classifyArmError (database-level keys)', () => {
  it.each(DATABASE_KEY_CODES)('finds %s (%i) in the database update of the spec', (code, statusCode) => {
    expect(databaseUpdateCodes().get(code)).toBe(statusCode);
  });

  it.each(DATABASE_KEY_CODES)('classifies %s (%i) as %s', (code, statusCode, cls) => {
    expect(classifyArmError({ statusCode, code })).toBe(cls);
    expect(classifyArmError({ code })).toBe(cls);
  });

  it('retries a rotation blocked by the old thumbprint on a long schedule, and nothing else that way', () => {
    expect(minRetryDelayMs('PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse')).toBe(OLD_THUMBPRINT_IN_USE_RETRY_MS);
    expect(OLD_THUMBPRINT_IN_USE_RETRY_MS).toBeGreaterThanOrEqual(10 * 60_000);
    expect(minRetryDelayMs('OperationInterrupted')).toBeUndefined();
    expect(minRetryDelayMs('SomethingAzureInventedLastWeek')).toBeUndefined();
  });

  it.each(['PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary', 'PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary'])(
    'waits on order when the geo secondary database lacks the key (%s)',
    (code) => {
      expect(classifyArmError({ statusCode: 400, code })).toBe('waitingOnOrder');
    },
  );
});

/**
 * Every code the server and managed instance key/protector specs name, with the class this product owes it, decided
 * here from the spec's own words (not read back from ARM_ERROR_SEED_TABLE): a change of the table's class for any
 * of them fails this test until someone decides again. Policy read from the descriptions: a request the service
 * validated and refused (400) is terminal even where the words smell transient, since an operator has to act
 * (Key Vault access, firewall, identity, instance state); "already exists" on a key upsert means our key is there
 * (success); "interrupted by another operation", "timed out ... retry", throttling and "attempts to connect to
 * Azure Key Vault have failed" (503) are retriable; a remote or secondary server lacking the key material waits on
 * order (geo secondaries first).
 */
const SPEC_EXPECTATIONS: readonly (readonly [code: string, statusCode: number, cls: string, words: string])[] = [
  // 400: refused as invalid, or Key Vault / identity / instance state an operator has to fix
  ['ManagedInstanceStoppingOrStopped', 400, 'terminal', 'instance is in stopping/stopped state'],
  ['ManagedInstanceStarting', 400, 'terminal', 'instance is in starting state'],
  ['InvalidKeyName', 400, 'terminal', 'an invalid value was given for the server key name'],
  ['InvalidKeyType', 400, 'terminal', 'server key type is not supported'],
  ['InvalidUpsertKeyType', 400, 'terminal', "service-managed keys don't support create or update"],
  ['InvalidKeyUpsertRequest', 400, 'terminal', 'request has no properties object'],
  ['InvalidEncryptionProtectorName', 400, 'terminal', 'encryption protector key name is not supported'],
  ['SecurityAdalPrincipalCertExpiredError', 400, 'terminal', 'principal certificate has expired'],
  ['AkvHostNotResolvingFromNode', 400, 'terminal', 'AKV host is not resolvable from SQL'],
  ['AkvEndpointNotReachableFromNode', 400, 'terminal', 'AKV endpoint is not reachable from SQL'],
  ['AkvKeyDisabled', 400, 'terminal', 'operations on the key are not allowed'],
  ['AkvKeyOperationNotAllowed', 400, 'terminal', 'please allow the following operations on the key'],
  ['AkvKeyOperationNotAllowedByRBAC', 400, 'terminal', 'not allowed for the chosen RBAC role'],
  ['AkvKeyOperationNotAllowedByFirewall', 400, 'terminal', 'forbidden by the key vault firewall policy'],
  ['AkvKeyAccessDenied', 400, 'terminal', 'not allowed by the key vault policy'],
  ['AkvKeyAccessGeneral403', 400, 'terminal', 'insufficient permissions'],
  ['AkvKeyDeleted', 400, 'terminal', 'key was not found in Azure Key Vault'],
  ['AkvKeyTimeout', 400, 'terminal', 'review network settings'],
  ['AkvKeyDNS', 400, 'terminal', 'URI could not be resolved: ensure network settings'],
  ['SecurityInvalidAzureKeyVaultRecoveryLevel', 400, 'terminal', 'the provided Key Vault uri is not valid'],
  ['MissingKeyVaultUriForRestore', 400, 'terminal', 'key URI is required to restore'],
  ['AzureKeyVaultKeyUsedOnGeoPrimary', 400, 'terminal', 'currently set as encryption protector on geo-primary'],
  ['AzureKeyVaultRsaKeyNotSupported', 400, 'terminal', 'unsupported RSA key size or key type'],
  ['PerDatabaseCMKCopyOrReplicationAttemptedWithoutCurrentKeysWithDatabaseName', 400, 'terminal', 'current keys must be added'],
  ['PerDatabaseCMKCopyOrReplicationAttemptedWithoutCurrentKeys', 400, 'terminal', 'current keys must be added'],
  ['ManagedInstanceNoConditionToMakeDatabaseAccessible', 400, 'terminal', 'root causes have not been resolved'],
  ['UmiMissingAkvPermissions', 400, 'terminal', 'identity does not have access to KeyId'],
  ['SecurityAzureKeyVaultGeoChainError', 400, 'terminal', 'chaining is not supported'],
  ['PerDatabaseCMKDWNotSupported', 400, 'terminal', 'not supported for Datawarehouse'],
  ['PerDatabaseCMKHSNotSupported', 400, 'terminal', 'not supported for Hyperscale'],
  ['PerDatabaseCMKRestoreNotSupported', 400, 'terminal', 'restore is not supported'],
  ['PerDatabaseCMKMissingIdentityOnGeoSecondaryDatabase', 400, 'terminal', 'identity not setup on the target database'],
  ['BlockSystemAssignedIdentityForCrossTenantCMK', 400, 'terminal', 'needs a user assigned managed identity'],
  ['CannotDropDatabaseAKVError', 400, 'terminal', 'key that is no longer accessible'],
  ['CreateDatabaseAttemptedWithRotationInProgress', 400, 'terminal', 'create database during a rotation (not an operation of ours)'],
  ['AzureKeyVaultKeyDisabled', 400, 'terminal', 'the Azure Key Vault key is disabled'],
  ['AzureKeyVaultInvalidExpirationDate', 400, 'terminal', 'expiration date is invalid'],
  ['SecurityAzureKeyVaultUrlNullOrEmpty', 400, 'terminal', 'Uri is null or empty'],
  ['CMKOperationNotAllowed', 400, 'terminal', 'the server did not have Azure Key Vault access'],
  ['AzureKeyVaultNoServerIdentity', 400, 'terminal', 'server identity is not correctly configured'],
  ['AzureKeyVaultInvalidUri', 400, 'terminal', 'please use a valid Azure Key Vault URI'],
  ['AzureKeyVaultMissingPermissions', 400, 'terminal', 'missing required permissions'],
  ['AzureKeyVaultKeyNameCurrentlyInUse', 400, 'terminal', 'key name is currently in use'],
  ['AzureKeyVaultKeyThumbprintIsDifferent', 400, 'terminal', 'key material is different than the current protector'],
  ['SecurityAzureKeyVaultInvalidKeyName', 400, 'terminal', 'invalid server key name'],
  ['OldGenerationOfAKVKeyBeingUsedError', 400, 'terminal', 'an old version as protector is not allowed (a newer one is in place)'],
  ['AdalGenericError', 400, 'terminal', 'an Azure Active Directory error was encountered'],
  ['AdalServicePrincipalNotFound', 400, 'terminal', 'service principal not found'],
  ['AzureKeyVaultMalformedVaultUri', 400, 'terminal', 'the provided Key Vault uri is not valid'],
  // 400 whose words say the remote (geo secondary) lacks the key material: add it there first, then retry
  ['KeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder', 'remote server does not have access to key material'],
  ['SameKeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder', 'secondary server does not have the key material'],
  ['SameKeyUriNotFoundOnRemoteServer', 400, 'waitingOnOrder', 'secondary server does not have the key material from the same vault'],
  ['PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary', 400, 'waitingOnOrder', 'all databases in geo replication must contain the key material'],
  ['PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary', 400, 'waitingOnOrder', 'both databases must be connected to the same key'],
  // 404: the server, key or operation does not exist
  ['ServerNotInSubscriptionResourceGroup', 404, 'terminal', 'server does not exist in the resource group'],
  ['SubscriptionDoesNotHaveServer', 404, 'terminal', 'the requested server was not found'],
  ['ResourceNotFound', 404, 'terminal', 'the requested resource was not found'],
  ['OperationIdNotFound', 404, 'terminal', 'the operation with Id does not exist'],
  ['ServerKeyNotFound', 404, 'terminal', 'the requested server key was not found'],
  // 409
  ['ServerKeyNameAlreadyExists', 409, 'success', 'the server key already exists on the server'],
  ['ServerKeyUriAlreadyExists', 409, 'success', 'the server key URI already exists (the name derives from it)'],
  ['ServerKeyDoesNotExists', 409, 'terminal', 'the server key does not exist'],
  ['AzureKeyVaultKeyNameNotFound', 409, 'terminal', 'the Azure Key Vault key name does not exist'],
  ['AzureKeyVaultKeyInUse', 409, 'terminal', 'the key is currently being used by the server'],
  ['CannotCancelOperation', 409, 'terminal', 'cannot be cancelled'],
  ['OperationCancelled', 409, 'terminal', 'cancelled by user'],
  ['OperationInterrupted', 409, 'retriable', 'interrupted by another operation on the same resource'],
  ['EncryptionProtectorChangeInProgress', 409, 'retriable', 'protector change is already in progress'],
  // 429 / 5xx
  ['SubscriptionTooManyCreateUpdateRequests', 429, 'retriable', 'requests beyond max requests'],
  ['SubscriptionTooManyRequests', 429, 'retriable', 'requests beyond max requests'],
  ['OperationTimedOut', 500, 'retriable', 'timed out and rolled back. Please retry'],
  ['AzureKeyVaultConnectionFailed', 503, 'retriable', 'attempts to connect to Azure Key Vault have failed'],
  ['AzureKeyVaultGenericConnectionError', 503, 'retriable', 'error when attempting to retrieve Key Vault information'],
  ['TooManyRequests', 503, 'retriable', 'requests beyond max requests'],
];

describe('Function: classifyArmError (every code of the server and managed instance specs)', () => {
  it('has a decision written here for every code the specs name, and names no code they do not', () => {
    const fromSpecs = specCodes().map(({ statusCode, code }) => `${statusCode} ${code}`).sort();
    const decided = SPEC_EXPECTATIONS.map(([code, statusCode]) => `${statusCode} ${code}`).sort();

    expect(decided).toEqual(fromSpecs);
  });

  it.each(SPEC_EXPECTATIONS)('classifies %s (%i) as %s: "%s"', (code, statusCode, cls) => {
    expect(classifyArmError({ statusCode, code })).toBe(cls);
    expect(classifyArmError({ code })).toBe(cls);
  });
});

describe('Function: classifyArmError', () => {
  it('reads a non-trivial list of codes from the specs', () => {
    expect(specCodes().length).toBeGreaterThan(60);
  });

  it.each(specCodes())('has a seed rule for $statusCode $code from the spec', ({ statusCode, code }) => {
    expect(ARM_ERROR_SEED_TABLE.find((r) => r.code === code && r.statusCode === statusCode)).toBeDefined();
  });

  it.each(ARM_ERROR_SEED_TABLE.map((r) => [r.statusCode, r.code, r.class] as const))(
    'lands %i %s in %s, with and without the status',
    (statusCode, code, cls) => {
      expect(classifyArmError({ statusCode, code })).toBe(cls);
      expect(classifyArmError({ code })).toBe(cls);
    },
  );

  it('says why for every seed rule', () => {
    expect(ARM_ERROR_SEED_TABLE.every((r) => r.why.length > 10)).toBe(true);
  });

  it('has no duplicate codes in the seed table', () => {
    const codes = ARM_ERROR_SEED_TABLE.map((r) => r.code.toLowerCase());
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each([
    ['ServerKeyNameAlreadyExists', 409, 'success'],
    ['KeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder'],
    ['SameKeyMaterialNotFoundOnRemoteServer', 400, 'waitingOnOrder'],
    ['SameKeyUriNotFoundOnRemoteServer', 400, 'waitingOnOrder'],
    ['OperationTimedOut', 500, 'retriable'],
    ['OperationInterrupted', 409, 'retriable'],
    ['EncryptionProtectorChangeInProgress', 409, 'retriable'],
    ['AzureKeyVaultConnectionFailed', 503, 'retriable'],
    ['AzureKeyVaultGenericConnectionError', 503, 'retriable'],
    ['OldGenerationOfAKVKeyBeingUsedError', 400, 'terminal'],
    ['OperationCancelled', 409, 'terminal'],
    ['SubscriptionTooManyRequests', 429, 'retriable'],
    ['TooManyRequests', 503, 'retriable'],
    ['InvalidKeyName', 400, 'terminal'],
    ['AzureKeyVaultKeyDisabled', 400, 'terminal'],
    ['ServerNotInSubscriptionResourceGroup', 404, 'terminal'],
    ['AzureKeyVaultKeyInUse', 409, 'terminal'],
  ] as const)('classifies %s (%i) as the issue says: %s', (code, statusCode, cls) => {
    expect(classifyArmError({ statusCode, code })).toBe(cls);
  });

  it.each([
    [{ statusCode: 429 }, 'retriable'],
    [{ statusCode: 429, code: 'SomethingNew' }, 'retriable'],
    [{ statusCode: 503, code: 'Whatever' }, 'retriable'],
    [{ statusCode: 502 }, 'retriable'],
    [{ statusCode: 504 }, 'retriable'],
    [{ statusCode: 500, code: 'SomeOtherInternalError' }, 'retriable'],
    [{ statusCode: 408 }, 'retriable'],
    [{ statusCode: 400, code: 'BrandNewValidationError' }, 'terminal'],
    [{ statusCode: 404, code: 'NotFound' }, 'terminal'],
    [{ statusCode: 409, code: 'SomeOtherConflict' }, 'terminal'],
    [{ statusCode: 401 }, 'terminal'],
    [{ statusCode: 403, code: 'Forbidden' }, 'terminal'],
    [{ networkError: true }, 'retriable'],
    [{ code: 'ECONNRESET' }, 'retriable'],
    [{ code: 'ETIMEDOUT', networkError: true }, 'retriable'],
    [{ code: 'ENOTFOUND' }, 'retriable'],
    [{ code: 'UnknownCodeWithoutStatus' }, 'terminal'],
    // A status came back: the network-looking code or flag is not what failed, the status decides.
    [{ statusCode: 400, code: 'ECONNRESET' }, 'terminal'],
    [{ statusCode: 400, networkError: true }, 'terminal'],
    [{}, 'terminal'],
  ] as const)('classifies %o by status or transport as %s', (input, cls) => {
    expect(classifyArmError(input)).toBe(cls);
  });

  it.each([
    ['OldGenerationOfAKVKeyBeingUsedError', true],
    ['oldgenerationofakvkeybeingusederror', true],
    ['AzureKeyVaultKeyDisabled', false],
    ['OperationInterrupted', false],
  ] as const)('says whether %s means a newer version is in place: %s', (code, expected) => {
    expect(isNewerVersionInPlace({ code })).toBe(expected);
  });

  it('does not take a missing or non-string code for a newer version in place', () => {
    expect(isNewerVersionInPlace({})).toBe(false);
    expect(isNewerVersionInPlace({ code: 400 })).toBe(false);
  });

  it("returns the table's spelling of a known code and nothing for an unknown one", () => {
    expect(knownArmErrorCode('encryptionprotectorchangeinprogress')).toBe('EncryptionProtectorChangeInProgress');
    expect(knownArmErrorCode('SomethingAzureInventedLastWeek')).toBeUndefined();
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR'])(
    'knows %s as a network error code',
    (code) => {
      expect(NETWORK_ERROR_CODES.has(code)).toBe(true);
    },
  );

  it('matches codes case-insensitively', () => {
    expect(classifyArmError({ code: 'operationtimedout' })).toBe('retriable');
  });
});
