/**
 * Log lines of the local host: one readable line per record (time, level, category, message, then identifiers as
 * `key=value`), not raw JSON. Function log lines in the `message {json}` form of src/functionsHost/contextLogger.ts are
 * unfolded into `key=value` pairs.
 */
import type { LogLevel } from '@azure/functions';

/** One log record: a category is `Host`, `Queue`, `Demo`, or a function name. */
export interface HostLogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly category: string;
  readonly message: string;
}

/** Where log records go. */
export type HostLogSink = (record: HostLogRecord) => void;

export interface FormatOptions {
  /** Replace full ARM ids of servers and sync agents with their short names (demo output). */
  readonly shortIds?: boolean;
}

const LEVEL_LABEL: Record<LogLevel, string> = {
  trace: 'trace',
  debug: 'debug',
  information: 'info ',
  warning: 'warn ',
  error: 'error',
  critical: 'crit ',
  none: '     ',
};

/** `HH:MM:SS.mmm level [category] message key=value ...` */
export function formatLogRecord(r: HostLogRecord, options: FormatOptions = {}): string {
  const time = r.time.toISOString().slice(11, 23);
  const text = readableMessage(r.message);
  return `${time} ${LEVEL_LABEL[r.level]} [${r.category}] ${options.shortIds === true ? shortenArmIds(text) : text}`;
}

/** Joins a log call's arguments into one message: strings as they are, errors by name and message (no stack). */
export function formatLogArgs(args: readonly unknown[]): string {
  return args.map(formatValue).join(' ');
}

/** A sink printing readable lines to stdout (warnings and errors to stderr). */
export function consoleLogSink(options: FormatOptions & { readonly minLevel?: LogLevel } = {}): HostLogSink {
  const order: LogLevel[] = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];
  const min = order.indexOf(options.minLevel ?? 'information');
  return (r) => {
    if (order.indexOf(r.level) < min) return;
    const line = formatLogRecord(r, options);
    if (r.level === 'warning' || r.level === 'error' || r.level === 'critical') process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  };
}

/** `message {"a":1,"b":"x y"}` -> `message a=1 b="x y"`; anything else unchanged. */
export function readableMessage(message: string): string {
  const brace = message.indexOf(' {');
  if (brace < 0 || !message.endsWith('}')) return message;
  let props: unknown;
  try {
    props = JSON.parse(message.slice(brace + 1));
  } catch {
    return message;
  }
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return message;
  return `${message.slice(0, brace)} ${keyValues(props as Record<string, unknown>)}`.trimEnd();
}

function keyValues(props: Record<string, unknown>): string {
  return Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${scalar(v)}`)
    .join(' ');
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return `${v.name}${typeof code === 'string' ? ` (${code})` : ''}: ${v.message}`;
  }
  if (typeof v === 'object' && v !== null) return keyValues(v as Record<string, unknown>);
  return String(v);
}

/** `/subscriptions/../servers/sql-a/syncAgents/agent1` -> `sql-a/agent1`; `/subscriptions/../servers/sql-a` -> `sql-a`. */
export function shortenArmIds(text: string): string {
  return text.replace(
    /\/subscriptions\/[^/\s"]+\/resourceGroups\/[^/\s"]+\/providers\/Microsoft\.Sql\/servers\/([^/\s"]+)(?:\/syncAgents\/([^/\s"]+))?/gi,
    (_, server: string, agent: string | undefined) => (agent === undefined ? server : `${server}/${agent}`),
  );
}
