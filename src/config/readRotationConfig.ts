import { ConfigProblems, type Json } from './configProblems.js';
import { ROTATION_CONFIG_SETTING } from './settings.js';

/**
 * The JSON of ROTATION_CONFIG: inline (see inlineJson) or read from the file it names. Reports (and returns
 * undefined) when it is missing, unreadable or not JSON; never quotes the value (it may hold a webhook token).
 */
export function readRotationConfig(
  p: ConfigProblems,
  raw: string | undefined,
  readFile: (path: string) => string,
): Json {
  const S = ROTATION_CONFIG_SETTING;
  if (raw === undefined || raw.trim() === '') {
    return p.add(S, 'is required: inline JSON ({"keys": {...}}) or the path to a JSON file');
  }
  // The raw value is never quoted in a problem: a mangled inline JSON (a quote too many, a BOM) lands in the
  // path branch, and it holds the webhook URL with its token.
  const inline = inlineJson(raw);
  let json: string;
  let source: string;
  if (inline !== undefined) {
    json = inline;
    source = 'inline JSON';
  } else {
    source = 'the file it names';
    try {
      json = readFile(raw.trim());
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      return p.add(
        S,
        `is not inline JSON (does not start with "{") and cannot be read as the path of a JSON file` +
          `${typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? ` (${code})` : ''} (value not shown, ${raw.length} characters)`,
      );
    }
  }
  try {
    return JSON.parse(json) as Json;
  } catch (e) {
    return p.add(S, `${source} is not valid JSON${jsonErrorPosition(json, e)} (content not shown)`);
  }
}

/**
 * The JSON text of an inline ROTATION_CONFIG, or undefined when the value is a path. Inline: first non-blank
 * character `{`; also a quoted object, as shells and pipelines leave it: `'{...}'`, `"{...}"`, or a JSON string
 * holding the object (`"{\"keys\": ...}"`).
 */
function inlineJson(raw: string): string | undefined {
  const text = raw.trim().replace(/^\uFEFF/, '');
  if (text.startsWith('{')) return text;
  const q = text[0];
  if (text.length < 2 || (q !== '"' && q !== "'") || text[text.length - 1] !== q) return undefined;
  if (q === '"') {
    try {
      const decoded: unknown = JSON.parse(text);
      if (typeof decoded === 'string' && decoded.trim().startsWith('{')) return decoded.trim();
    } catch {
      // not a JSON string: maybe raw JSON between quotes
    }
  }
  const inner = text.slice(1, -1).trim();
  return inner.startsWith('{') ? inner : undefined;
}

/** ` at line L, column C` from a JSON.parse error, without the snippet of input V8 quotes in its message. */
function jsonErrorPosition(json: string, e: unknown): string {
  const m = e instanceof Error ? /at position (\d+)/.exec(e.message) : null;
  if (m === null) return '';
  const at = Math.min(Number(m[1]), json.length);
  const before = json.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}
