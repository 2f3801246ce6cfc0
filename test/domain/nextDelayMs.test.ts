import { describe, expect, it } from 'vitest';
import { CODE_MAX_ATTEMPTS, DEFAULT_RETRY_POLICY, ORDER_JITTER, nextDelayMs, parseRetryAfter } from '../../src/domain/nextDelayMs.js';
import type { RetryPolicy } from '../../src/config/appConfig.js';

const policy: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAttempts: 8, orderDelayMs: 30_000, orderMaxAttempts: 5 };

/** Deterministic uniform source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function headers(h: Record<string, string>): { get(name: string): string | undefined } {
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower[name.toLowerCase()] };
}

describe('Function: nextDelayMs', () => {
  it.each([1, 2, 3, 6, 7])('keeps full jitter within [0, min(cap, base*2^(n-1))] for attempt %i over many draws', (attempt) => {
    const random = seeded(attempt);
    const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
    const draws = Array.from({ length: 5_000 }, () => nextDelayMs({ attempt, policy, random, kind: 'retriable' })!);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(ceiling);
    // Full jitter spreads over the whole window, not a corner of it.
    expect(Math.min(...draws)).toBeLessThan(ceiling * 0.05);
    expect(Math.max(...draws)).toBeGreaterThan(ceiling * 0.95);
    expect(draws.every(Number.isInteger)).toBe(true);
  });

  it('reaches both ends of the window at the extremes of the random source', () => {
    expect(nextDelayMs({ attempt: 3, policy, random: () => 0, kind: 'retriable' })).toBe(0);
    expect(nextDelayMs({ attempt: 3, policy, random: () => 0.9999999999, kind: 'retriable' })).toBe(4_000);
  });

  it.each([
    ['1 (outside [0, 1)) as just below 1', 1, 4_000],
    ['2 as just below 1', 2, 4_000],
    ['a negative value as 0', -0.5, 0],
    ['NaN as 0', Number.NaN, 0],
    ['Infinity as 0', Number.POSITIVE_INFINITY, 0],
  ])('takes a random source answering %s', (_label, value, expected) => {
    expect(nextDelayMs({ attempt: 3, policy, random: () => value, kind: 'retriable' })).toBe(expected);
  });

  it('clamps a negative random source on the order schedule too (never below -10%)', () => {
    expect(nextDelayMs({ attempt: 1, policy, random: () => -0.5, kind: 'waitingOnOrder' })).toBe(27_000);
  });

  it.each([
    ['negative', -5_000],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('ignores a %s Retry-After', (_label, retryAfterMs) => {
    expect(nextDelayMs({ attempt: 3, policy, random: () => 0, retryAfterMs, kind: 'retriable' })).toBe(0);
    expect(nextDelayMs({ attempt: 1, policy, random: () => 0, retryAfterMs, kind: 'waitingOnOrder' })).toBe(27_000);
  });

  it('rounds a fractional Retry-After up to the next millisecond', () => {
    expect(nextDelayMs({ attempt: 3, policy, random: () => 0, retryAfterMs: 0.2, kind: 'retriable' })).toBe(1);
  });

  it('caps the window at capMs', () => {
    expect(nextDelayMs({ attempt: 7, policy, random: () => 0.9999999999, kind: 'retriable' })).toBe(60_000);
  });

  it('waits at least 7 s when ARM answers 429 with Retry-After: 7', () => {
    const retryAfterMs = parseRetryAfter(headers({ 'Retry-After': '7' }), new Date());
    const random = seeded(42);
    for (let i = 0; i < 1_000; i++) {
      expect(nextDelayMs({ attempt: 1, policy, random, kind: 'retriable', ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })).toBeGreaterThanOrEqual(7_000);
    }
  });

  it('keeps the jittered delay when it exceeds Retry-After', () => {
    expect(nextDelayMs({ attempt: 6, policy, random: () => 0.9999999999, retryAfterMs: 100, kind: 'retriable' })).toBe(32_000);
  });

  it('returns undefined (dead-letter) once maxAttempts is reached', () => {
    expect(nextDelayMs({ attempt: 7, policy, random: () => 0.5, kind: 'retriable' })).toBeDefined();
    expect(nextDelayMs({ attempt: 8, policy, random: () => 0.5, kind: 'retriable' })).toBeUndefined();
    expect(nextDelayMs({ attempt: 9, policy, random: () => 0.5, kind: 'retriable' })).toBeUndefined();
  });

  it('keeps waiting-on-order delays within +/-10% of orderDelayMs', () => {
    const random = seeded(7);
    const draws = Array.from({ length: 2_000 }, () => nextDelayMs({ attempt: 1, policy, random, kind: 'waitingOnOrder' })!);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(policy.orderDelayMs * (1 - ORDER_JITTER));
    expect(Math.max(...draws)).toBeLessThanOrEqual(policy.orderDelayMs * (1 + ORDER_JITTER));
  });

  it('does not grow the waiting-on-order delay with the attempt number', () => {
    expect(nextDelayMs({ attempt: 4, policy, random: () => 0.5, kind: 'waitingOnOrder' })).toBe(30_000);
  });

  it('floors waiting-on-order delays by Retry-After too', () => {
    expect(nextDelayMs({ attempt: 1, policy, random: () => 0, retryAfterMs: 45_000, kind: 'waitingOnOrder' })).toBe(45_000);
  });

  it('gives up waiting on order after orderMaxAttempts', () => {
    expect(nextDelayMs({ attempt: 5, policy, random: () => 0.5, kind: 'waitingOnOrder' })).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('throws RangeError for attempt %s', (attempt) => {
    expect(() => nextDelayMs({ attempt, policy, random: () => 0.5, kind: 'retriable' })).toThrow(RangeError);
  });

  it('stays finite for absurd attempt numbers', () => {
    const p = { ...policy, maxAttempts: 10_000 };
    expect(nextDelayMs({ attempt: 5_000, policy: p, random: () => 0.9999999999, kind: 'retriable' })).toBe(60_000);
  });

  it('gives up on OperationFailed after 3 attempts in all, however many the policy allows', () => {
    // Prepare
    const generous = { ...policy, maxAttempts: 10 };

    // Act
    const second = nextDelayMs({ attempt: 2, policy: generous, random: () => 0.5, kind: 'retriable', code: 'OperationFailed' });
    const third = nextDelayMs({ attempt: 3, policy: generous, random: () => 0.5, kind: 'retriable', code: 'OperationFailed' });

    // Assess
    expect(second).toBeDefined();
    expect(third).toBeUndefined();
    expect(CODE_MAX_ATTEMPTS.OperationFailed).toBe(3);
  });

  it('keeps the policy limit for codes without a limit of their own', () => {
    expect(nextDelayMs({ attempt: 3, policy, random: () => 0.5, kind: 'retriable', code: 'TooManyRequests' })).toBeDefined();
  });

  it('keeps the lower policy limit when it is below the code limit', () => {
    const strict = { ...policy, maxAttempts: 2 };

    expect(nextDelayMs({ attempt: 2, policy: strict, random: () => 0.5, kind: 'retriable', code: 'OperationFailed' })).toBeUndefined();
  });

  it('has ARM-sized defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ baseMs: 2_000, capMs: 300_000, maxAttempts: 10, orderDelayMs: 30_000, orderMaxAttempts: 40 });
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
  });
});

describe('Function: parseRetryAfter', () => {
  const now = new Date('2024-05-01T10:00:00.000Z');

  it.each([
    ['Retry-After seconds', { 'Retry-After': '7' }, 7_000],
    ['Retry-After zero', { 'Retry-After': '0' }, 0],
    ['Retry-After HTTP date', { 'Retry-After': 'Wed, 01 May 2024 10:00:30 GMT' }, 30_000],
    ['Retry-After HTTP date in the past', { 'Retry-After': 'Wed, 01 May 2024 09:00:00 GMT' }, 0],
    ['x-ms-retry-after-ms', { 'x-ms-retry-after-ms': '1500' }, 1_500],
    ['retry-after-ms', { 'retry-after-ms': '250' }, 250],
    ['x-ms-retry-after-ms wins over Retry-After', { 'x-ms-retry-after-ms': '1500', 'Retry-After': '7' }, 1_500],
    ['invalid ms header falls back to Retry-After', { 'x-ms-retry-after-ms': 'soon', 'Retry-After': '3' }, 3_000],
  ])('reads %s', (_label, h, expected) => {
    expect(parseRetryAfter(headers(h), now)).toBe(expected);
  });

  it.each([
    ['no header', {}],
    ['garbage', { 'Retry-After': 'later' }],
    ['negative seconds', { 'Retry-After': '-5' }],
    ['fractional seconds', { 'Retry-After': '1.5' }],
    ['empty', { 'Retry-After': '' }],
  ])('returns undefined for %s', (_label, h) => {
    expect(parseRetryAfter(headers(h), now)).toBeUndefined();
  });

  it.each([
    ['Retry-After with spaces around the seconds', { 'Retry-After': ' 7 ' }, 7_000],
    ['x-ms-retry-after-ms with spaces', { 'x-ms-retry-after-ms': ' 1500 ' }, 1_500],
  ])('reads %s', (_label, h, expected) => {
    expect(parseRetryAfter(headers(h), now)).toBe(expected);
  });

  it.each([
    ['blank', { 'Retry-After': '   ' }],
    ['a signed number with a letter', { 'Retry-After': '+5s' }],
  ])('returns undefined for a %s Retry-After', (_label, h) => {
    expect(parseRetryAfter(headers(h), now)).toBeUndefined();
  });

  it('accepts a header reader that returns null, like the Fetch Headers', () => {
    expect(parseRetryAfter({ get: () => null }, now)).toBeUndefined();
  });
});
