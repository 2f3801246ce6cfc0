import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';

const VALUE = 'aB3dE6gH9jK2mN5pQ8sT';

describe('Class: Secret', () => {
  it('reveals its value only through reveal()', () => {
    expect(new Secret(VALUE).reveal()).toBe(VALUE);
  });

  it.each([
    ['JSON', (s: Secret) => JSON.stringify({ key: s }), '{"key":"[redacted]"}'],
    ['string conversion', (s: Secret) => String(s), '[redacted]'],
    ['an array join', (s: Secret) => [s].join(), '[redacted]'],
    ['util.inspect', (s: Secret) => inspect({ key: s }), '{ key: Secret([redacted]) }'],
  ])('prints as redacted through %s', (_label, print, expected) => {
    // Act
    const text = print(new Secret(VALUE));

    // Assess
    expect(text).toBe(expected);
    expect(text).not.toContain(VALUE);
  });
});
