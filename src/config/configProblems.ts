/**
 * The small validation kit of loadConfig: a problem collector and checks that report into it instead of throwing
 * (so loadConfig can list every problem at once, each with its path). A check returns the value, a fallback, or
 * undefined after reporting.
 */
import type { ConfigProblem } from '../domain/errors.js';

/** Any parsed JSON value. */
export type Json = unknown;
/** A parsed JSON object. */
export type JsonObject = Readonly<Record<string, Json>>;

/** Collects problems; the parse functions never throw, they report and return undefined. */
export class ConfigProblems {
  readonly list: ConfigProblem[] = [];
  add(path: string, message: string): undefined {
    this.list.push({ path, message });
    return undefined;
  }
}

export function prop(path: string, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

export function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

export function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Object with only the allowed properties; reports unknown ones (with a suggestion) and returns the object. */
export function object(p: ConfigProblems, v: Json, path: string, allowed: readonly string[]): JsonObject | undefined {
  if (!isObject(v)) return p.add(path, `must be an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => editDistance(a, key) <= 2);
    p.add(prop(path, key), `unknown property${near === undefined ? '' : ` (did you mean "${near}"?)`}; allowed: ${allowed.join(', ')}`);
  }
  return v;
}

export function array(p: ConfigProblems, v: Json, path: string): readonly Json[] | undefined {
  if (!Array.isArray(v)) return p.add(path, `must be an array, got ${describe(v)}`);
  return v as readonly Json[];
}

export function boolean(p: ConfigProblems, v: Json, path: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    p.add(path, `must be true or false, got ${describe(v)}`);
    return fallback;
  }
  return v;
}

export function integer(p: ConfigProblems, v: Json, path: string, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    p.add(path, `must be an integer >= ${min}, got ${describe(v)}`);
    return fallback;
  }
  return v;
}

export function positiveNumber(p: ConfigProblems, v: Json, path: string, allowZero: boolean): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    return p.add(path, `must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${describe(v)}`);
  }
  return v;
}

export function tryParse<T>(p: ConfigProblems, path: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    return p.add(path, e instanceof Error ? e.message : String(e));
  }
}
