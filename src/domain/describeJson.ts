/**
 * Describing untrusted JSON values in rejection reasons without ever throwing. `JSON.stringify` recurses: a body
 * nested 10,000 levels deep (which `JSON.parse` accepts) makes it throw `RangeError: Maximum call stack size
 * exceeded`, and a parser that quotes the offending value in its reason then throws instead of rejecting. Here
 * depth, breadth and length are bounded, so the cost is small whatever the input. Pure.
 */

export interface DescribeJsonOptions {
  /** Nesting levels shown before `…` stands for the rest (default 4). */
  readonly maxDepth?: number;
  /** Characters of output before it is cut with `…` (default 120). */
  readonly maxLength?: number;
  /** Entries shown per array or object before `…` (default 8). */
  readonly maxEntries?: number;
}

const ELLIPSIS = '…';

/**
 * A short JSON-like rendering of any value, for messages: `"abc"`, `42`, `{"a":[1,2,…]}`, `undefined`. Never
 * throws (no recursion beyond `maxDepth`, cycles and exotic values rendered by type, getters not called beyond
 * plain property reads of JSON-parsed data).
 */
export function describeJson(value: unknown, options: DescribeJsonOptions = {}): string {
  const maxDepth = options.maxDepth ?? 4;
  const maxLength = options.maxLength ?? 120;
  const maxEntries = options.maxEntries ?? 8;
  const out = new Budget(maxLength);
  write(value, 0);
  return out.text();

  function write(v: unknown, depth: number): void {
    if (out.full) return;
    if (v === null) return out.add('null');
    switch (typeof v) {
      case 'string':
        return out.add(quote(v, maxLength));
      case 'number':
        return out.add(Number.isFinite(v) ? String(v) : 'null');
      case 'boolean':
        return out.add(String(v));
      case 'undefined':
        return out.add('undefined');
      case 'bigint':
        return out.add(`${v.toString()}n`);
      case 'object':
        break;
      default:
        return out.add(typeof v);
    }
    if (depth >= maxDepth) return out.add(Array.isArray(v) ? `[${ELLIPSIS}]` : `{${ELLIPSIS}}`);
    if (Array.isArray(v)) {
      out.add('[');
      const n = Math.min(v.length, maxEntries);
      for (let i = 0; i < n && !out.full; i++) {
        if (i > 0) out.add(',');
        write(v[i], depth + 1);
      }
      if (v.length > maxEntries) out.add(`,${ELLIPSIS}`);
      return out.add(']');
    }
    out.add('{');
    let i = 0;
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      if (out.full) break;
      if (i === maxEntries) {
        out.add(`,${ELLIPSIS}`);
        break;
      }
      if (i > 0) out.add(',');
      out.add(`${quote(key, maxLength)}:`);
      write(safeGet(v, key), depth + 1);
      i++;
    }
    return out.add('}');
  }
}

/**
 * `JSON.stringify(value)`, or undefined when it cannot be serialised (too deep, a cycle, a BigInt, a throwing
 * toJSON). For callers that need real JSON and can reject what does not serialise.
 */
export function tryStringifyJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Nesting depth of a JSON value, counted without recursion and stopping at `limit` (returns `limit` then). */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth >= limit) return limit;
    if (depth > deepest) deepest = depth;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, d: depth });
  }
  return deepest;
}

function quote(s: string, maxLength: number): string {
  const cut = s.length > maxLength ? `${s.slice(0, maxLength)}${ELLIPSIS}` : s;
  return JSON.stringify(cut);
}

function safeGet(o: object, key: string): unknown {
  try {
    return (o as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

class Budget {
  #parts: string[] = [];
  #length = 0;
  full = false;
  constructor(private readonly max: number) {}
  add(s: string): void {
    if (this.full) return;
    if (this.#length + s.length > this.max) {
      this.#parts.push(s.slice(0, Math.max(0, this.max - this.#length)), ELLIPSIS);
      this.full = true;
      return;
    }
    this.#parts.push(s);
    this.#length += s.length;
  }
  text(): string {
    return this.#parts.join('');
  }
}
