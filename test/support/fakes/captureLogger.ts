import type { Logger } from '../../../src/app/ports.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly properties?: Record<string, unknown>;
}

/** A Logger that records every line, for assertions on what was (and was not) logged. */
export class CaptureLogger implements Logger {
  readonly lines: LogLine[] = [];

  info(message: string, properties?: Record<string, unknown>): void {
    this.#push('info', message, properties);
  }
  warn(message: string, properties?: Record<string, unknown>): void {
    this.#push('warn', message, properties);
  }
  error(message: string, properties?: Record<string, unknown>): void {
    this.#push('error', message, properties);
  }

  /** Lines of one level. */
  at(level: LogLevel): LogLine[] {
    return this.lines.filter((l) => l.level === level);
  }

  /** Every line as text (message + JSON properties), one per line: what a log sink would receive. */
  text(): string {
    return this.lines
      .map((l) => `${l.level} ${l.message}${l.properties === undefined ? '' : ` ${safeStringify(l.properties)}`}`)
      .join('\n');
  }

  clear(): void {
    this.lines.length = 0;
  }

  #push(level: LogLevel, message: string, properties: Record<string, unknown> | undefined): void {
    this.lines.push(properties === undefined ? { level, message } : { level, message, properties });
  }
}

/** JSON.stringify that also renders errors (message, stack, cause) and survives cycles. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Error) {
      return { name: v.name, message: v.message, stack: v.stack, cause: v.cause, ...(v as unknown as object) };
    }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}
