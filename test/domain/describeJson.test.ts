import { describe, expect, it } from 'vitest';
import { describeJson, jsonDepth, tryStringifyJson } from '../../src/domain/describeJson.js';

const deepArray = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
const deepObject = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

describe('Function: describeJson', () => {
  it.each([
    ['a string', 'abc', '"abc"'],
    ['a number', 42, '42'],
    ['NaN', Number.NaN, 'null'],
    ['a boolean', true, 'true'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a bigint', 10n, '10n'],
    ['a small object', { a: [1, 'x'], b: null }, '{"a":[1,"x"],"b":null}'],
    ['an object nested past the depth', { a: { b: { c: { d: { e: 1 } } } } }, '{"a":{"b":{"c":{"d":{…}}}}}'],
    ['a long array', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], '[1,2,3,4,5,6,7,8,…]'],
    ['an array of exactly maxEntries', [1, 2, 3, 4, 5, 6, 7, 8], '[1,2,3,4,5,6,7,8]'],
    ['an array nested past the depth', [[[[[1]]]]], '[[[[[…]]]]]'],
    ['an object with more entries than maxEntries', { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 }, '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,…}'],
    ['a function by its type', () => 1, 'function'],
    ['a symbol by its type', Symbol('s'), 'symbol'],
  ] as const)('renders %s', (_label, value, expected) => {
    expect(describeJson(value)).toBe(expected);
  });

  it.each([
    ['array', deepArray(10_000)],
    ['object', deepObject(10_000)],
  ])('describes a 10,000-level %s without throwing, in a few characters', (_label, value) => {
    const text = describeJson(value);

    expect(text.startsWith(Array.isArray(value) ? '[[[[' : '{"a":{"a":')).toBe(true);
    expect(text.length).toBeLessThan(60);
  });

  it('cuts a long string and the whole output at maxLength', () => {
    const text = describeJson({ s: 'x'.repeat(10_000) }, { maxLength: 50 });

    expect(text.length).toBeLessThanOrEqual(51);
    expect(text.endsWith('…')).toBe(true);
  });

  it('renders an output of exactly maxLength whole', () => {
    expect(describeJson('abc', { maxLength: '"abc"'.length })).toBe('"abc"');
  });

  it('keeps the first maxLength characters of the rendering before the ellipsis', () => {
    const long = 'x'.repeat(20);

    expect(describeJson({ a: long }, { maxLength: 10 })).toBe(`${JSON.stringify({ a: long }).slice(0, 10)}…`);
  });

  it('renders only own properties', () => {
    const value = Object.create({ inherited: 1 }) as Record<string, unknown>;
    value['own'] = 2;

    expect(describeJson(value)).toBe('{"own":2}');
  });

  it('renders a property whose getter throws as undefined', () => {
    const value = {
      get bad(): never {
        throw new Error('no');
      },
    };

    expect(describeJson(value)).toBe('{"bad":undefined}');
  });

  it('reads no property once the output is full', () => {
    // Prepare
    let reads = 0;
    const value = {
      a: 'x'.repeat(200),
      get b(): number {
        reads += 1;
        return 1;
      },
    };

    // Act
    describeJson(value, { maxLength: 50 });

    // Assess
    expect(reads).toBe(0);
  });

  it('renders a cycle by depth instead of looping', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;

    expect(describeJson(a)).toBe('{"self":{"self":{"self":{"self":{…}}}}}');
  });
});

describe('Function: tryStringifyJson', () => {
  it('stringifies what JSON.stringify can', () => {
    expect(tryStringifyJson({ a: 1 })).toBe('{"a":1}');
  });

  // 100,000 levels overflow JSON.stringify's stack in a worker thread too (Stryker's vitest runner), where 10,000 fit.
  it('answers undefined for a 100,000-level value instead of throwing RangeError', () => {
    expect(tryStringifyJson(deepArray(100_000))).toBeUndefined();
  });
});

describe('Function: jsonDepth', () => {
  it.each([
    [1, 0],
    [[], 1],
    [{ a: [1] }, 2],
    [[[[]]], 3],
    [null, 0],
    [{ a: null }, 1],
    [[[], [[]]], 3],
    [[[[]], []], 3],
  ] as const)('measures %j as %i deep', (value, depth) => {
    expect(jsonDepth(value, 100)).toBe(depth);
  });

  it('stops at the limit on a 10,000-level value', () => {
    expect(jsonDepth(deepObject(10_000), 64)).toBe(64);
  });
});
