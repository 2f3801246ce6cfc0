/**
 * A local Functions-compatible host (what Core Tools' `func start` would be, for the triggers this app uses): it
 * runs the same FunctionDefinition handlers as Azure, behind the same HTTP surface (hostRequestHandler.ts), with
 * the queue trigger and timers of startTriggers.ts. This file is its lifecycle: listen, wire the triggers, run,
 * wait for idle, stop gracefully.
 * Listens on 127.0.0.1:7071 unless told otherwise (`PORT`). Every admin and Event Grid request needs the random key of
 * this run (printed once at start, `host.key`; `x-functions-key` header or `?code=`); cross-origin requests, a
 * Host header that is not loopback, non-JSON admin requests and bodies over 1 MB are refused (checkRequest.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TriggerMetadata } from '@azure/functions';
import { DEFAULT_HOST_PORT, PORT_SETTING } from '../../config/settings.js';
import type { FunctionDefinition } from '../../functionsHost/functionDefinition.js';
import type { LocalDurableQueue } from '../queue/localDurableQueue.js';
import { adminInput } from './adminInput.js';
import { consoleLogSink, type HostLogSink } from './formatLogRecord.js';
import { hostRequestHandler } from './hostRequestHandler.js';
import { invokeFunction } from './invokeFunction.js';
import { closeServer, listen } from './listen.js';
import { FUNCTIONS_KEY_QUERY, newHostKey } from './checkRequest.js';
import { startTriggers, type HostTriggers } from './startTriggers.js';

export type HostState = 'Initialized' | 'Running' | 'Stopping' | 'Stopped';

export interface LocalHostOptions {
  /** The functions to host (the same definitions Azure registers). */
  readonly functions: readonly FunctionDefinition[];
  /** Default: `PORT` from `env`, else 7071. 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly hostname?: string;
  /** App settings for `%NAME%` expressions, `PORT` and `LOCAL_QUEUE_DIR`. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The Service Bus namespace feeding the queue trigger (the app's config.serviceBus.fullyQualifiedNamespace).
   * Absent: the embedded durable queue.
   */
  readonly serviceBusNamespace?: string;
  /** Directory of the embedded queue. Default: `{project root}/.local-azure/queue`. */
  readonly queueDir?: string;
  /**
   * An already opened embedded queue (the host uses it and leaves closing it to the caller). The app's functions
   * must be built with services on this same queue (see src/local/appFunctions.ts), so callers that host them
   * open the queue first and pass it here.
   */
  readonly queue?: LocalDurableQueue;
  /** Max deliveries before the embedded queue dead-letters a message (default: Service Bus' 10). */
  readonly maxDeliveryCount?: number;
  readonly log?: HostLogSink;
  /** Messages processed at once. Default 8 (host.json). */
  readonly concurrency?: number;
  /** Longest idle sleep of the embedded queue pump. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Run timers on their schedules (runOnStartup included). Default true. */
  readonly timers?: boolean;
}

/** A started host. */
export interface LocalHost {
  /** `http://127.0.0.1:{port}` */
  readonly url: string;
  readonly port: number;
  /** The key of this run, required on admin and Event Grid requests (`x-functions-key` header or `?code=`). */
  readonly key: string;
  readonly state: HostState;
  /** The embedded queue, when no Service Bus namespace is configured. */
  readonly queue: LocalDurableQueue | undefined;
  /**
   * Where the Event Grid subscription of a function points: `{url}/runtime/webhooks/eventgrid?functionName=...&code=`
   * (with the key, as an Azure Event Grid subscription to a function carries its system key).
   */
  eventGridWebhookUrl(functionName: string): string;
  /** Runs a function now and waits for it (what `POST /admin/functions/<name>` starts in the background). */
  invoke(functionName: string, input?: unknown): Promise<void>;
  /**
   * Resolves once nothing runs and the embedded queue is empty (scheduled retries included), or rejects after
   * `timeoutMs` (default 30 s) listing what is left.
   */
  whenIdle(options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<void>;
  /** Graceful stop: no new requests, timers stopped, the queue pump drained, invocations awaited. */
  stop(): Promise<void>;
}

/** Thrown for a request naming a function the host does not have. */
export class FunctionNotFoundError extends Error {
  constructor(readonly functionName: string) {
    super(`no function named ${functionName}`);
    this.name = 'FunctionNotFoundError';
  }
}

/** Starts the host; resolves once it is Running. */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const env = options.env ?? process.env;
  const log = options.log ?? consoleLogSink();
  const functions = new Map(options.functions.map((f) => [f.name.toLowerCase(), f]));
  const running = new Set<Promise<void>>();
  let state: HostState = 'Initialized';
  const key = newHostKey();
  const hostLog = (level: 'information' | 'warning' | 'error' | 'debug', message: string): void =>
    log({ time: new Date(), level, category: 'Host', message });

  const run = (def: FunctionDefinition, input: unknown, reason: string, triggerMetadata?: TriggerMetadata): Promise<void> => {
    const p = invokeFunction(def, { input, reason, ...(triggerMetadata === undefined ? {} : { triggerMetadata }) }, log);
    running.add(p);
    const forget = (): boolean => running.delete(p);
    void p.then(forget, forget);
    return p;
  };

  // Listen first so that status answers Initialized while the rest starts.
  const hostname = options.hostname ?? '127.0.0.1';
  const server = createServer(hostRequestHandler({ functions, state: () => state, startedAt: Date.now(), key, hostname, run, hostLog }));
  await listen(server, options.port ?? portFromEnv(env[PORT_SETTING]), hostname);
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://${hostname}:${port}`;

  let triggers: HostTriggers;
  try {
    triggers = await startTriggers({
      functions: options.functions,
      env,
      serviceBusNamespace: options.serviceBusNamespace,
      queue: options.queue,
      queueDir: options.queueDir,
      maxDeliveryCount: options.maxDeliveryCount,
      concurrency: options.concurrency,
      pollIntervalMs: options.pollIntervalMs,
      timers: options.timers ?? true,
      log,
      hostLog,
      run,
    });
  } catch (error) {
    await closeServer(server);
    throw error;
  }
  triggers.start();
  state = 'Running';
  hostLog('information', `Host running on ${baseUrl} with ${options.functions.map((f) => f.name).join(', ')}`);
  // Printed once, as `func start` prints function keys: the only way to learn it besides `host.key`.
  hostLog('information', `Host key (x-functions-key header or ?${FUNCTIONS_KEY_QUERY}= on admin and Event Grid requests): ${key}`);
  triggers.runOnStartup();

  const queue = triggers.queue;
  let stopping: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    key,
    get state() {
      return state;
    },
    queue,
    eventGridWebhookUrl: (functionName) =>
      `${baseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}&${FUNCTIONS_KEY_QUERY}=${key}`,
    invoke: async (functionName, input) => {
      const def = functions.get(functionName.toLowerCase());
      if (def === undefined) throw new FunctionNotFoundError(functionName);
      await run(def, adminInput(def, input), 'Admin');
    },
    whenIdle: async ({ timeoutMs = 30_000, signal } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        signal?.throwIfAborted();
        const left = queue?.peekAll().length ?? 0;
        // The pump's count covers what follows an invocation: completing, rescheduling or dead-lettering its message.
        const settling = triggers.busy;
        if (running.size === 0 && left === 0 && settling === 0) return;
        if (Date.now() >= deadline) {
          throw new Error(
            `host not idle after ${timeoutMs} ms: ${running.size} invocations running, ${settling} messages settling, ${left} queued`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () => {
      stopping ??= (async () => {
        state = 'Stopping';
        const closed = closeServer(server);
        await triggers.stop();
        while (running.size > 0) await Promise.allSettled([...running]);
        await closed;
        await triggers.close();
        state = 'Stopped';
        hostLog('information', 'Host stopped');
      })();
      return stopping;
    },
  };
}

function portFromEnv(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return DEFAULT_HOST_PORT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${PORT_SETTING} must be a port number, got ${v}`);
  return n;
}
