import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { toRotationError } from '../../src/azure/azureErrors.js';

class NamedError extends Error {
  constructor(name: string, message: string, readonly statusCode?: number) {
    super(message);
    this.name = name;
  }
}

describe('toRotationError', () => {
  it('reads the code of a failed long-running operation and classifies it', () => {
    const err = toRotationError(new Error('The long-running operation has failed. KeyMaterialNotFoundOnRemoteServer. Add it first'), { server: 's' });

    expect(err).toMatchObject({ code: 'KeyMaterialNotFoundOnRemoteServer', errorClass: 'waitingOnOrder' });
  });

  it('treats a connection reset as a retriable network error', () => {
    const e = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    expect(toRotationError(e, {})).toMatchObject({ code: 'NetworkError', errorClass: 'retriable' });
  });

  it('keeps the ARM code and status of a RestError', () => {
    const e = new RestError('bad name', { statusCode: 400, code: 'InvalidKeyName' });

    expect(toRotationError(e, { server: 's' })).toMatchObject({ code: 'InvalidKeyName', errorClass: 'terminal', details: { server: 's', statusCode: 400 } });
  });

  it('fails at once when no credential can sign in, instead of retrying for minutes', () => {
    const err = toRotationError(new NamedError('CredentialUnavailableError', 'ManagedIdentityCredential: no identity'), {});

    expect(err).toMatchObject({ code: 'AuthenticationFailed', errorClass: 'terminal' });
  });

  it('retries a sign-in the token endpoint failed with a 5xx', () => {
    const err = toRotationError(new NamedError('AuthenticationError', 'token endpoint answered 503', 503), {});

    expect(err).toMatchObject({ code: 'AuthenticationFailed', errorClass: 'retriable' });
  });
});
