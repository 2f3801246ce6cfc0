import { RestError } from '@azure/core-rest-pipeline';
import { AggregateAuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { isAlreadyThere, toRotationError } from '../../src/azure/toRotationError.js';
import { isNewerVersionInPlace, OLD_THUMBPRINT_IN_USE_RETRY_MS } from '../../src/domain/classifyArmError.js';

class NamedError extends Error {
  constructor(name: string, message: string, readonly statusCode?: number) {
    super(message);
    this.name = name;
  }
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * What each failure the SDKs really raise becomes. Written out here, not read from the code's table, so a
 * change of class in the code fails this test.
 */
const CASES: readonly (readonly [label: string, thrown: () => unknown, code: string, errorClass: string])[] = [
  [
    'AggregateAuthenticationError (DefaultAzureCredential: no credential worked)',
    () => new AggregateAuthenticationError([new CredentialUnavailableError('ManagedIdentityCredential: no identity assigned')], 'ChainedTokenCredential authentication failed.'),
    'AuthenticationFailed',
    'terminal',
  ],
  ['CredentialUnavailableError', () => new CredentialUnavailableError('no identity'), 'AuthenticationFailed', 'terminal'],
  ['AuthenticationError 400', () => new NamedError('AuthenticationError', 'invalid client', 400), 'AuthenticationFailed', 'terminal'],
  ['AuthenticationError 503 (token endpoint down)', () => new NamedError('AuthenticationError', 'token endpoint answered 503', 503), 'AuthenticationFailed', 'retriable'],
  ['TypeError (a bug)', () => new TypeError("Cannot read properties of undefined (reading 'id')"), 'UnexpectedError', 'terminal'],
  ['RangeError (a bug)', () => new RangeError('Maximum call stack size exceeded'), 'UnexpectedError', 'terminal'],
  ['a thrown string', () => 'boom', 'UnexpectedError', 'terminal'],
  ['an Error with an unknown code and no status', () => withCode('weird', 'ERR_SOMETHING_LOCAL'), 'UnexpectedError', 'terminal'],
  ['core-lro failure without a code', () => new Error('The long-running operation has failed'), 'OperationFailed', 'retriable'],
  ['core-lro failure with an undefined code', () => new Error('The long-running operation has failed. undefined. Something went wrong'), 'OperationFailed', 'retriable'],
  ['core-lro polling ended in no state', () => new Error('Polling completed without succeeding or failing'), 'OperationFailed', 'retriable'],
  ['core-lro cancellation', () => new Error('Operation was canceled'), 'OperationCanceled', 'terminal'],
  ['core-lro failure KeyMaterialNotFoundOnRemoteServer', () => new Error('The long-running operation has failed. KeyMaterialNotFoundOnRemoteServer. Add it first'), 'KeyMaterialNotFoundOnRemoteServer', 'waitingOnOrder'],
  ['core-lro failure EncryptionProtectorChangeInProgress', () => new Error('The long-running operation has failed. EncryptionProtectorChangeInProgress. Cannot update while a change is in progress'), 'EncryptionProtectorChangeInProgress', 'retriable'],
  ['core-lro failure OperationTimedOut', () => new Error('The long-running operation has failed. OperationTimedOut. Timed out'), 'OperationTimedOut', 'retriable'],
  ['409 EncryptionProtectorChangeInProgress', () => new RestError('in progress', { statusCode: 409, code: 'EncryptionProtectorChangeInProgress' }), 'EncryptionProtectorChangeInProgress', 'retriable'],
  ['409 OperationInterrupted', () => new RestError('interrupted', { statusCode: 409, code: 'OperationInterrupted' }), 'OperationInterrupted', 'retriable'],
  ['503 AzureKeyVaultConnectionFailed', () => new RestError('cannot reach Key Vault', { statusCode: 503, code: 'AzureKeyVaultConnectionFailed' }), 'AzureKeyVaultConnectionFailed', 'retriable'],
  ['400 OldGenerationOfAKVKeyBeingUsedError', () => new RestError('old version', { statusCode: 400, code: 'OldGenerationOfAKVKeyBeingUsedError' }), 'OldGenerationOfAKVKeyBeingUsedError', 'terminal'],
  ['429 SubscriptionTooManyRequests', () => new RestError('throttled', { statusCode: 429, code: 'SubscriptionTooManyRequests' }), 'SubscriptionTooManyRequests', 'retriable'],
  ['500 OperationTimedOut', () => new RestError('timed out', { statusCode: 500, code: 'OperationTimedOut' }), 'OperationTimedOut', 'retriable'],
  ['400 InvalidKeyName', () => new RestError('bad name', { statusCode: 400, code: 'InvalidKeyName' }), 'InvalidKeyName', 'terminal'],
  ['403 Forbidden (Key Vault)', () => new RestError('denied', { statusCode: 403, code: 'Forbidden' }), 'Forbidden', 'terminal'],
  ['404 KeyNotFound (Key Vault)', () => new RestError('no such key', { statusCode: 404, code: 'KeyNotFound' }), 'KeyNotFound', 'terminal'],
  ['an unknown 400 code', () => new RestError('new', { statusCode: 400, code: 'SomethingAzureInventedLastWeek' }), 'UnknownAzureError', 'terminal'],
  ['an unknown 502 code', () => new RestError('gateway', { statusCode: 502, code: 'BadGatewayOfSomeKind' }), 'UnknownAzureError', 'retriable'],
  ['a 500 without a code', () => new RestError('oops', { statusCode: 500 }), 'HttpError', 'retriable'],
  ['a 404 without a code', () => new RestError('gone', { statusCode: 404 }), 'HttpError', 'terminal'],
  ['RestError REQUEST_SEND_ERROR (no answer)', () => new RestError('socket hang up', { code: 'REQUEST_SEND_ERROR' }), 'NetworkError', 'retriable'],
  ['RestError without status or code', () => new RestError('connection failed'), 'NetworkError', 'retriable'],
  ['ECONNRESET', () => withCode('socket hang up', 'ECONNRESET'), 'NetworkError', 'retriable'],
  ['ECONNREFUSED', () => withCode('connect ECONNREFUSED', 'ECONNREFUSED'), 'NetworkError', 'retriable'],
  ['ENOTFOUND', () => withCode('getaddrinfo ENOTFOUND', 'ENOTFOUND'), 'NetworkError', 'retriable'],
  ['UND_ERR_CONNECT_TIMEOUT', () => withCode('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'), 'NetworkError', 'retriable'],
  ['AbortError (request timeout)', () => new NamedError('AbortError', 'The operation was aborted.'), 'NetworkError', 'retriable'],
];

describe('Function: toRotationError', () => {
  it.each(CASES)('turns %s into %s (%s)', (_label, thrown, code, errorClass) => {
    const err = toRotationError(thrown(), { server: 's' });

    expect({ code: err.code, errorClass: err.errorClass }).toEqual({ code, errorClass });
  });

  it('names the step in an unexpected failure', () => {
    const err = toRotationError(new TypeError('x is not a function'), { server: 's', step: 'serverKeys.beginCreateOrUpdate' });

    expect(err.message).toBe('Unexpected failure in serverKeys.beginCreateOrUpdate: TypeError: x is not a function');
    expect(err.details).toMatchObject({ server: 's', step: 'serverKeys.beginCreateOrUpdate' });
  });

  it('keeps the ARM code and status of a RestError', () => {
    const e = new RestError('bad name', { statusCode: 400, code: 'InvalidKeyName' });

    expect(toRotationError(e, { server: 's' })).toMatchObject({ code: 'InvalidKeyName', errorClass: 'terminal', details: { server: 's', statusCode: 400 } });
  });

  it('keeps an unknown Azure code in the details and the message', () => {
    const err = toRotationError(new RestError('new', { statusCode: 400, code: 'SomethingAzureInventedLastWeek' }), {});

    expect(err.details.azureCode).toBe('SomethingAzureInventedLastWeek');
    expect(err.message).toContain('SomethingAzureInventedLastWeek');
  });

  it('spells a known code as the table does, whatever case Azure used', () => {
    expect(toRotationError(new RestError('x', { statusCode: 409, code: 'operationinterrupted' }), {}).code).toBe('OperationInterrupted');
  });

  it('lets the use case recognise a refused older version as "a newer version is in place"', () => {
    const err = toRotationError(new Error('The long-running operation has failed. OldGenerationOfAKVKeyBeingUsedError. Using an old version of AKV key as TDE protector is not allowed.'), {});

    expect(isNewerVersionInPlace(err)).toBe(true);
    expect(isNewerVersionInPlace(toRotationError(new RestError('x', { statusCode: 409, code: 'OperationInterrupted' }), {}))).toBe(false);
  });

  it('reads Retry-After of a throttled answer', () => {
    const e = new RestError('throttled', {
      statusCode: 429,
      code: 'TooManyRequests',
      response: { headers: { get: (n: string) => (n === 'retry-after' ? '7' : undefined) } } as never,
    });

    expect(toRotationError(e, {}).details.retryAfterMs).toBe(7_000);
  });

  it('still treats an already registered key as already there', () => {
    expect(isAlreadyThere(toRotationError(new RestError('exists', { statusCode: 409, code: 'ServerKeyNameAlreadyExists' }), {}))).toBe(true);
    expect(isAlreadyThere(toRotationError(new RestError('other', { statusCode: 409, code: 'Conflict' }), {}))).toBe(false);
  });
});

describe('Function: toRotationError (database-level keys)', () => {
  it('gives a rotation blocked by the old thumbprint a long retry floor, answered directly or through a failed operation', () => {
    const direct = toRotationError(
      new RestError('old keys in use', { statusCode: 400, code: 'PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse' }),
      { server: 'db' },
    );
    const lro = toRotationError(new Error('The long-running operation has failed. PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse. Key Rotation is blocked'), {});

    for (const e of [direct, lro]) {
      expect(e.code).toBe('PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse');
      expect(e.errorClass).toBe('retriable');
      expect(e.details.retryAfterMs).toBe(OLD_THUMBPRINT_IN_USE_RETRY_MS);
    }
  });

  it('waits on order when the geo secondary database lacks the key', () => {
    const e = toRotationError(new RestError('missing', { statusCode: 400, code: 'PerDatabaseCMKAKVKeyUriMissingOnGeoSecondary' }), {});
    expect(e.errorClass).toBe('waitingOnOrder');
    expect(e.details.retryAfterMs).toBeUndefined();
  });
});
