import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARM_ERROR_SEED_TABLE,
  NETWORK_ERROR_CODES,
  classifyArmError,
  isNewerVersionInPlace,
  knownArmErrorCode,
} from '../../src/domain/errorClassification.js';

const SPECS = ['ServerKeys.json', 'EncryptionProtectors.json'].map((f) =>
  resolve(__dirname, '../../../shared/vectors/sql-spec/2025-01-01', f),
);

/** Every `* {status} {Code} - ...` line of the specs' error-response descriptions. */
function specCodes(): { statusCode: number; code: string }[] {
  const seen = new Map<string, { statusCode: number; code: string }>();
  for (const file of SPECS) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\* (\d{3}) ([A-Za-z0-9]+) - /g)) {
      seen.set(`${m[1]} ${m[2]}`, { statusCode: Number(m[1]), code: m[2]! });
    }
  }
  return [...seen.values()];
}

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
