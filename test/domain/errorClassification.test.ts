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
} from '../../src/domain/errorClassification.js';

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
  });

  it.each(['PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary', 'PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary'])(
    'waits on order when the geo secondary database lacks the key (%s)',
    (code) => {
      expect(classifyArmError({ statusCode: 400, code })).toBe('waitingOnOrder');
    },
  );
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
