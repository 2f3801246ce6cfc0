/**
 * What every CLI command gets: its outputs, the global flags, the services from the composition root (built on
 * first use, with the CLI's in-process queue and dead-letter store), a logger, and the notifier.
 */
import { randomUUID } from 'node:crypto';
import { NO_NOTIFIER } from '../app/noNotifier.js';
import type { Notifier } from '../app/ports.js';
import type { Clock, Logger } from '../app/ports.js';
import { createServices, type ServiceOverrides, type Services } from '../compositionRoot.js';
import { loadConfig } from '../config/loadConfig.js';
import { WebhookNotifier } from '../azure/webhookNotifier.js';
import type { CliIo } from './cliIo.js';
import { InProcessWorkQueue, MemoryFailureSink } from './inProcessWorkQueue.js';

/** Seams for tests; everything defaults to the real thing. */
export interface CliRuntime {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** The CLI's only in-process wait (retries falling due). Default: setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source of the retry delays. Default: Math.random. */
  readonly random?: () => number;
  /** Default: createServices(loadConfig(process.env), overrides). */
  readonly services?: (overrides: ServiceOverrides) => Services;
}

export interface GlobalFlags {
  readonly json: boolean;
  readonly verbose: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly flags: GlobalFlags;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly queue: InProcessWorkQueue;
  readonly failures = new MemoryFailureSink();
  /** Use-case log lines: on stderr with --verbose, dropped otherwise (the final table says what happened). */
  readonly logger: Logger;
  /** Identifies this run: correlation id of its work items and notifications. */
  readonly runId = `cli-${randomUUID()}`;
  readonly #runtime: CliRuntime;
  #services: Services | undefined;

  constructor(io: CliIo, flags: GlobalFlags, runtime: CliRuntime) {
    this.io = io;
    this.flags = flags;
    this.#runtime = runtime;
    this.clock = runtime.clock ?? { now: () => new Date() };
    this.sleep = runtime.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.queue = new InProcessWorkQueue(() => this.clock.now());
    this.logger = flags.verbose ? streamLogger(io, () => this.clock.now()) : SILENT;
  }

  /** The composition root's services with the CLI's queue, dead-letter store and clock. Throws ConfigError. */
  services(): Services {
    if (this.#services) return this.#services;
    const overrides: ServiceOverrides = {
      queue: this.queue,
      failures: this.failures,
      ...(this.#runtime.clock ? { clock: this.#runtime.clock } : {}),
      ...(this.#runtime.random ? { random: this.#runtime.random } : {}),
    };
    const build = this.#runtime.services ?? ((o: ServiceOverrides) => createServices(loadConfig(process.env), o));
    const built = build(overrides);
    this.#services = built;
    return built;
  }

  /** The webhook notifier when ROTATION_CONFIG has `notifications`; its delivery failures go to stderr. */
  notifier(): Notifier {
    const config = this.services().config.notifications;
    if (!config) return NO_NOTIFIER;
    return new WebhookNotifier(config, warningsLogger(this.io, this.logger));
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** Machine output: one JSON document, two-space indented, newline-terminated. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function streamLogger(io: CliIo, now: () => Date): Logger {
  const line =
    (level: string) =>
    (message: string, properties?: Record<string, unknown>): void => {
      io.stderr.write(`${now().toISOString()} ${level} ${message}${properties === undefined ? '' : ` ${JSON.stringify(properties)}`}\n`);
    };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Warnings always reach stderr (once: through the verbose logger when it prints, directly otherwise). */
function warningsLogger(io: CliIo, logger: Logger): Logger {
  if (logger !== SILENT) return logger;
  const warn = (message: string, properties?: Record<string, unknown>): void => {
    io.stderr.write(`warning: ${message}${properties === undefined ? '' : ` ${JSON.stringify(properties)}`}\n`);
  };
  return { info: () => undefined, warn, error: warn };
}
