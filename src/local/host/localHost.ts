/**
 * A local Functions-compatible host (what Core Tools' `func start` would be, for the triggers this app uses): it
 * runs the same FunctionDefinition handlers as Azure, behind the same HTTP surface:
 * - `POST /runtime/webhooks/eventgrid?functionName=<name>`: Event Grid schema (+ SubscriptionValidation handshake)
 *   and CloudEvents 1.0 single and batch (+ the `OPTIONS` webhook validation handshake), one invocation per event;
 * - `POST /admin/functions/<name>` with `{"input": ...}`: runs a non-HTTP function now, answering 202;
 * - `GET /admin/host/status`: `{"state":"Running"}` once ready; `GET /admin/functions`: the functions;
 * - timers on their NCRONTAB schedules, with runOnStartup;
 * - the Service Bus queue trigger, fed by the embedded durable queue (src/local/queue) when no namespace is
 *   configured, or by the real queue when `ServiceBusConnection__fullyQualifiedNamespace` is set.
 * Listens on 127.0.0.1:7071 unless told otherwise (`PORT`). Every admin and Event Grid request needs the random key of
 * this run (printed once at start, `host.key`; `x-functions-key` header or `?code=`); cross-origin requests, a
 * Host header that is not loopback, non-JSON admin requests and bodies over 1 MB are refused (requestGuard.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TriggerMetadata } from '@azure/functions';
import { SERVICE_BUS_NAMESPACE_SETTING } from '../../config/settings.js';
import type { FunctionDefinition } from '../../host/functionDefinition.js';
import { LocalDurableQueue } from '../queue/localDurableQueue.js';
import { resolveAppSetting } from './appSettings.js';
import { parseEventGridDelivery } from './eventGridDelivery.js';
import { consoleLogSink, type HostLogSink } from './hostLog.js';
import { invokeFunction } from './invokeFunction.js';
import { LocalQueuePump } from './localQueuePump.js';
import { findProjectRoot } from './projectRoot.js';
import {
  checkRequest,
  FUNCTIONS_KEY_QUERY,
  newHostKey,
  readLimitedBody,
  RequestBodyTooLargeError,
  type Refusal,
} from './requestGuard.js';
import type { ServiceBusPump } from './serviceBusPump.js';
import { scheduleTimer, timerInput, type ScheduledTimer } from './timerScheduler.js';

/** Default port, as `func start`. */
export const DEFAULT_HOST_PORT = 7071;
/** host.json `extensions.serviceBus.maxConcurrentCalls`. */
export const DEFAULT_QUEUE_CONCURRENCY = 8;

export type HostState = 'Initialized' | 'Running' | 'Stopping' | 'Stopped';

export interface LocalHostOptions {
  /** The functions to host (the same definitions Azure registers). */
  readonly functions: readonly FunctionDefinition[];
  /** Default: `PORT` from `env`, else 7071. 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly hostname?: string;
  /** App settings for `%NAME%` expressions, `PORT` and the Service Bus connection. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
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
  const startedAt = Date.now();
  const key = newHostKey();
  const hostLog = (level: 'information' | 'warning' | 'error' | 'debug', message: string): void =>
    log({ time: new Date(), level, category: 'Host', message });

  const track = (p: Promise<void>): Promise<void> => {
    running.add(p);
    void p.then(
      () => running.delete(p),
      () => running.delete(p),
    );
    return p;
  };
  const find = (name: string): FunctionDefinition => {
    const def = functions.get(name.toLowerCase());
    if (def === undefined) throw new FunctionNotFoundError(name);
    return def;
  };
  const run = (def: FunctionDefinition, input: unknown, reason: string, triggerMetadata?: TriggerMetadata) =>
    track(invokeFunction(def, { input, reason, ...(triggerMetadata === undefined ? {} : { triggerMetadata }) }, log));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      hostLog('error', `request ${req.method ?? ''} ${req.url ?? ''} failed: ${String(error)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '').toLowerCase();
    const refusal = checkRequest(req, url, { key, hostname });
    if (refusal !== undefined) return refuse(req, res, refusal);
    let body: string;
    try {
      body = await readLimitedBody(req);
    } catch (error) {
      if (error instanceof RequestBodyTooLargeError) return refuse(req, res, { status: 413, message: error.message });
      throw error;
    }

    if (path === '/admin/host/status' && req.method === 'GET') {
      send(res, 200, { state, version: '4.x-local', processUptime: Date.now() - startedAt });
      return;
    }
    if (path === '/admin/functions' && req.method === 'GET') {
      send(
        res,
        200,
        [...functions.values()].map((f) => ({ name: f.name, trigger: f.trigger.type })),
      );
      return;
    }
    if (path === '/runtime/webhooks/eventgrid') {
      await eventGrid(req, res, url, body);
      return;
    }
    const admin = /^\/admin\/functions\/([^/]+)$/.exec(path);
    if (admin !== null && req.method === 'POST') {
      const def = functions.get(decodeURIComponent(admin[1]!));
      if (def === undefined) return send(res, 404, { error: `no function named ${admin[1]!}` });
      if (state !== 'Running') return send(res, 503, { error: `host is ${state}` });
      let input: unknown;
      try {
        const parsed = body === '' ? undefined : (JSON.parse(body) as unknown);
        input = typeof parsed === 'object' && parsed !== null ? (parsed as { input?: unknown }).input : undefined;
      } catch {
        return send(res, 400, { error: 'request body is not valid JSON' });
      }
      void run(def, adminInput(def, input), 'Admin').catch(() => undefined); // logged by invokeFunction
      res.writeHead(202).end();
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  async function eventGrid(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const def = functions.get(name.toLowerCase());
    if (def === undefined || def.trigger.type !== 'eventGrid') {
      return send(res, 404, { error: `no Event Grid function named ${name}` });
    }
    if (req.method === 'OPTIONS') {
      // CloudEvents webhook validation (abuse protection): allow the requesting origin.
      const origin = header(req, 'webhook-request-origin');
      if (origin === undefined) return send(res, 400, { error: 'WebHook-Request-Origin header is required' });
      res.writeHead(200, { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' }).end();
      return;
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
    const delivery = parseEventGridDelivery(
      { eventType: header(req, 'aeg-event-type'), contentType: header(req, 'content-type') },
      body,
    );
    switch (delivery.kind) {
      case 'rejected':
        return send(res, delivery.status, { error: delivery.message });
      case 'validation':
        hostLog('information', `Event Grid subscription validated for ${def.name}`);
        return send(res, 200, { validationResponse: delivery.validationCode });
      case 'ignored':
        res.writeHead(200).end();
        return;
      case 'events': {
        if (state !== 'Running') return send(res, 503, { error: `host is ${state}` });
        // One invocation per event, as the Event Grid extension does; any failure asks Event Grid to redeliver.
        let failed = 0;
        for (const event of delivery.events) {
          try {
            await run(def, event, `EventGrid (${delivery.schema})`);
          } catch {
            failed++;
          }
        }
        if (failed > 0) return send(res, 500, { error: `${failed} of ${delivery.events.length} invocations failed` });
        res.writeHead(200).end();
        return;
      }
    }
  }

  // Listen first so that status answers Initialized while the rest starts.
  const port = options.port ?? portFromEnv(env['PORT']);
  const hostname = options.hostname ?? '127.0.0.1';
  await listen(server, port, hostname);
  const actualPort = (server.address() as AddressInfo).port;
  const baseUrl = `http://${hostname}:${actualPort}`;

  const namespace = env[SERVICE_BUS_NAMESPACE_SETTING]?.trim();
  let queue: LocalDurableQueue | undefined;
  let ownsQueue = false;
  let localPump: LocalQueuePump | undefined;
  let busPump: ServiceBusPump | undefined;
  const timers: ScheduledTimer[] = [];
  try {
    const queueDefs = options.functions.filter((f) => f.trigger.type === 'serviceBusQueue');
    if (namespace === undefined || namespace === '') {
      queue =
        options.queue ??
        (await LocalDurableQueue.open({
          // LOCAL_QUEUE_DIR: one queue directory per host, so several local hosts can run side by side.
          dir: options.queueDir ?? (env['LOCAL_QUEUE_DIR']?.trim() || join(findProjectRoot(), '.local-azure', 'queue')),
          ...(options.maxDeliveryCount === undefined ? {} : { maxDeliveryCount: options.maxDeliveryCount }),
          onWarning: (message) => hostLog('warning', message),
        }));
      ownsQueue = options.queue === undefined;
      const worker = queueDefs[0];
      if (worker !== undefined) {
        localPump = new LocalQueuePump({
          queue,
          concurrency: options.concurrency ?? DEFAULT_QUEUE_CONCURRENCY,
          pollIntervalMs: options.pollIntervalMs ?? 250,
          handle: (body, meta) => run(worker, body, 'ServiceBus (local queue)', meta),
          log,
        });
      }
      hostLog('information', `Service Bus trigger fed by the embedded durable queue in ${queue.dir}`);
    } else {
      // Loaded only when needed: the Service Bus SDK and the credential chain are heavy.
      const { ServiceBusPump } = await import('./serviceBusPump.js');
      for (const def of queueDefs) {
        if (def.trigger.type !== 'serviceBusQueue') continue;
        const queueName = resolveAppSetting(def.trigger.queueName, env);
        busPump = new ServiceBusPump({
          fullyQualifiedNamespace: namespace,
          queueName,
          sessions: def.trigger.isSessionsEnabled,
          concurrency: options.concurrency ?? DEFAULT_QUEUE_CONCURRENCY,
          handle: (body, meta) => run(def, body, 'ServiceBus', meta),
          log,
        });
        hostLog('information', `Service Bus trigger fed by queue ${queueName} on ${namespace}`);
      }
    }

    const startup: FunctionDefinition[] = [];
    if (options.timers ?? true) {
      for (const def of options.functions) {
        if (def.trigger.type !== 'timer') continue;
        const schedule = resolveAppSetting(def.trigger.schedule, env);
        const timer = scheduleTimer(def.name, schedule, (t) => run(def, t, 'Timer').catch(() => undefined));
        timers.push(timer);
        hostLog('information', `Timer ${def.name} on "${schedule}" (UTC), next ${timer.next()?.toISOString() ?? 'never'}`);
        if (def.trigger.runOnStartup) startup.push(def);
      }
    }

    localPump?.start();
    busPump?.start();
    state = 'Running';
    hostLog('information', `Host running on ${baseUrl} with ${options.functions.map((f) => f.name).join(', ')}`);
    // Printed once, as `func start` prints function keys: the only way to learn it besides `host.key`.
    hostLog('information', `Host key (x-functions-key header or ?${FUNCTIONS_KEY_QUERY}= on admin and Event Grid requests): ${key}`);
    for (const def of startup) void run(def, timerInput(undefined, undefined), 'Timer (runOnStartup)').catch(() => undefined);
  } catch (error) {
    for (const t of timers) t.stop();
    await close(server);
    if (ownsQueue) await queue?.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const host: LocalHost = {
    url: baseUrl,
    port: actualPort,
    key,
    get state() {
      return state;
    },
    queue,
    eventGridWebhookUrl: (functionName) =>
      `${baseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}&${FUNCTIONS_KEY_QUERY}=${key}`,
    invoke: async (functionName, input) => {
      const def = find(functionName);
      await run(def, adminInput(def, input), 'Admin');
    },
    whenIdle: async ({ timeoutMs = 30_000, signal } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        signal?.throwIfAborted();
        const left = queue?.peekAll().length ?? 0;
        if (running.size === 0 && left === 0) return;
        if (Date.now() >= deadline) {
          throw new Error(`host not idle after ${timeoutMs} ms: ${running.size} invocations running, ${left} queued`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () => {
      stopping ??= (async () => {
        state = 'Stopping';
        for (const t of timers) t.stop();
        const closed = close(server);
        await localPump?.stop();
        await busPump?.stop();
        while (running.size > 0) await Promise.allSettled([...running]);
        await closed;
        if (ownsQueue) await queue?.close();
        state = 'Stopped';
        hostLog('information', 'Host stopped');
      })();
      return stopping;
    },
  };
  return host;
}

/** What a function receives when started through the admin endpoint. */
function adminInput(def: FunctionDefinition, input: unknown): unknown {
  if (def.trigger.type === 'timer') return timerInput(undefined, undefined);
  // The real host hands non-HTTP functions the input string; JSON is what these triggers carry.
  if (typeof input === 'string') {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}

function portFromEnv(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return DEFAULT_HOST_PORT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT must be a port number, got ${v}`);
  return n;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** Answers a refused request; what is left of its body is read and dropped, then the connection closes. */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  req.resume();
  res.setHeader('connection', 'close');
  send(res, refusal.status, { error: refusal.message });
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open; idle ones can go now.
    server.closeIdleConnections();
  });
}
