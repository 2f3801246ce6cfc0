import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidEventError,
  InvalidKeyIdError,
  InvalidWorkItemError,
  RotationError,
  isRotationError,
  type ErrorClass,
} from '../../src/domain/errors.js';

describe('Class: RotationError', () => {
  it.each([
    ['retriable', true],
    ['waitingOnOrder', true],
    ['terminal', false],
  ] as const)('is retriable for the backoff queue when its class is %s: %s', (cls: ErrorClass, retriable) => {
    expect(new RotationError('ServiceUnavailable', cls, 'm').retriable).toBe(retriable);
  });

  it('keeps the cause it is given, and has none otherwise', () => {
    const cause = new Error('socket hang up');

    expect(new RotationError('ServiceUnavailable', 'retriable', 'm', { cause }).cause).toBe(cause);
    expect('cause' in new RotationError('ServiceUnavailable', 'retriable', 'm')).toBe(false);
  });

  it('carries its details, or an empty object', () => {
    expect(new RotationError('KeyNotFound', 'terminal', 'm', { details: { statusCode: 404 } }).details).toEqual({ statusCode: 404 });
    expect(new RotationError('KeyNotFound', 'terminal', 'm').details).toEqual({});
  });

  it.each([
    ['RotationError', () => new RotationError('UnexpectedError', 'terminal', 'm'), 'UnexpectedError'],
    ['InvalidKeyIdError', () => new InvalidKeyIdError('m'), 'InvalidKeyId'],
    ['InvalidEventError', () => new InvalidEventError('m'), 'InvalidEvent'],
    ['InvalidWorkItemError', () => new InvalidWorkItemError('m'), 'InvalidWorkItem'],
    ['ConfigError', () => new ConfigError([]), 'InvalidConfig'],
  ] as const)('names itself %s, with its code, and is terminal', (name, make, code) => {
    const e = make();

    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.errorClass).toBe('terminal');
    expect(e).toBeInstanceOf(RotationError);
  });
});

describe('Class: ConfigError', () => {
  it('lists every problem in its message, one per line', () => {
    const e = new ConfigError([
      { path: 'ROTATION_CONFIG.keys[0].key', message: 'not a key id' },
      { path: 'RETRY_MAX_ATTEMPTS', message: 'must be a positive integer' },
    ]);

    expect(e.message).toBe(
      'Invalid configuration (2 problems):\n  - ROTATION_CONFIG.keys[0].key: not a key id\n  - RETRY_MAX_ATTEMPTS: must be a positive integer',
    );
    expect(e.problems).toHaveLength(2);
  });

  it('says "1 problem" for one', () => {
    expect(new ConfigError([{ path: 'A', message: 'b' }]).message).toBe('Invalid configuration (1 problem):\n  - A: b');
  });
});

describe('Function: isRotationError', () => {
  it.each([
    ['a RotationError', new RotationError('UnexpectedError', 'terminal', 'm'), true],
    ['a copy from another module (same shape)', { code: 'KeyNotFound', errorClass: 'terminal', message: 'm' }, true],
    ['a plain Error', new Error('m'), false],
    ['an error with a numeric code', Object.assign(new Error('m'), { code: 404, errorClass: 'terminal' }), false],
    ['an error with a code and no class', Object.assign(new Error('m'), { code: 'ECONNRESET' }), false],
    ['an error with a class that is no string', Object.assign(new Error('m'), { code: 'X', errorClass: 1 }), false],
    ['null', null, false],
    ['a string', 'KeyNotFound', false],
  ])('recognises %s: %s', (_label, value, expected) => {
    expect(isRotationError(value)).toBe(expected);
  });
});
