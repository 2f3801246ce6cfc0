/**
 * The contract tests' yardstick: the official examples in ../shared/vectors (REST spec examples and service
 * recordings) and a comparison of JSON shapes (property paths and JSON types, not values).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';

export const VECTORS = resolve(__dirname, '..', '..', '..', '..', 'shared', 'vectors');
/** The Microsoft.Sql 2025-01-01 spec files (their error descriptions list the codes). */
export const SQL_SPEC = resolve(VECTORS, 'sql-spec', '2025-01-01');
export const SQL_EXAMPLES = resolve(SQL_SPEC, 'examples');
export const KV_EXAMPLES = resolve(VECTORS, 'keyvault-spec', 'examples');

/** The whole example file: `parameters` (the request) and `responses`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
export function exampleFile(dir: string, file: string): any {
  return JSON.parse(readFileSync(resolve(dir, file), 'utf8'));
}

/** The body of one response of an example; fails when it is empty (every shape comparison would pass). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
export function exampleBody(dir: string, file: string, status = '200'): any {
  const body: unknown = exampleFile(dir, file).responses[status]?.body;
  expect(Object.keys(body ?? {}), `${file} ${status}`).not.toHaveLength(0);
  return body;
}

/** Every property path of a JSON value with its JSON type; arrays are described by their first element. */
function shape(v: unknown, path = '$', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) {
    out.set(path, 'array');
    if (v.length > 0) shape(v[0], `${path}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    out.set(path, 'object');
    for (const [k, x] of Object.entries(v)) shape(x, `${path}.${k}`, out);
  } else out.set(path, v === null ? 'null' : typeof v);
  return out;
}

/** Paths of the example body that the actual body lacks or types differently (ignoring the given prefixes). */
export function shapeMismatches(exampleBody: unknown, actual: unknown, ignore: readonly string[] = []): string[] {
  const got = shape(actual);
  const problems: string[] = [];
  for (const [p, t] of shape(exampleBody)) {
    if (ignore.some((i) => p.startsWith(i))) continue;
    if (!got.has(p)) problems.push(`missing ${p}`);
    else if (got.get(p) !== t) problems.push(`${p}: ${got.get(p)} instead of ${t}`);
  }
  return problems;
}
