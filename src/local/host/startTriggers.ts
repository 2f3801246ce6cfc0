/**
 * The non-HTTP triggers of the local host: the Service Bus queue trigger, fed by the embedded durable queue
 * (src/local/queue) when no namespace is configured or by the real queue when one is, and the timers on their
 * NCRONTAB schedules (with runOnStartup).
 */
import { join } from 'node:path';
import type { TriggerMetadata } from '@azure/functions';
import { DEFAULT_LOCAL_QUEUE_DIR, LOCAL_QUEUE_DIR_SETTING } from '../../config/settings.js';
import type { FunctionDefinition } from '../../functionsHost/functionDefinition.js';
import { LocalDurableQueue } from '../queue/localDurableQueue.js';
import type { HostLogSink } from './formatLogRecord.js';
import { LocalQueuePump } from './localQueuePump.js';
import { findProjectRoot } from './findProjectRoot.js';
import { resolveAppSetting } from './resolveAppSetting.js';
import type { ServiceBusPump } from './serviceBusPump.js';
import { scheduleTimer, timerInput, type ScheduledTimer } from './scheduleTimer.js';

/** host.json `extensions.serviceBus.maxConcurrentCalls`. */
export const DEFAULT_QUEUE_CONCURRENCY = 8;

export interface TriggerOptions {
  readonly functions: readonly FunctionDefinition[];
  /** App settings for `%NAME%` expressions and LOCAL_QUEUE_DIR. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Service Bus namespace (config.serviceBus); absent: the embedded durable queue. */
  readonly serviceBusNamespace?: string | undefined;
  readonly queue?: LocalDurableQueue | undefined;
  readonly queueDir?: string | undefined;
  readonly maxDeliveryCount?: number | undefined;
  readonly concurrency?: number | undefined;
  readonly pollIntervalMs?: number | undefined;
  readonly timers: boolean;
  readonly log: HostLogSink;
  readonly hostLog: (level: 'information' | 'warning', message: string) => void;
  /** Runs one invocation (tracked by the host). */
  readonly run: (def: FunctionDefinition, input: unknown, reason: string, triggerMetadata?: TriggerMetadata) => Promise<void>;
}

/** Wired triggers: timers already scheduled, pumps not yet started. */
export interface HostTriggers {
  /** The embedded queue, when no Service Bus namespace is configured. */
  readonly queue: LocalDurableQueue | undefined;
  /** Starts the queue pumps. */
  start(): void;
  /** Messages the embedded queue's pump is handling now, settlement (complete, retry, dead letter) included. */
  readonly busy: number;
  /** Runs the timers marked runOnStartup once, now. */
  runOnStartup(): void;
  /** Stops the timers and drains the pumps (invocations they started may still run). */
  stop(): Promise<void>;
  /** Closes the embedded queue when the triggers opened it (a queue passed in is the caller's). */
  close(): Promise<void>;
}

/** Opens or connects the queue feeding the queue trigger and schedules the timers; undoes both on failure. */
export async function startTriggers(o: TriggerOptions): Promise<HostTriggers> {
  const namespace = o.serviceBusNamespace?.trim();
  const concurrency = o.concurrency ?? DEFAULT_QUEUE_CONCURRENCY;
  const queueDefs = o.functions.filter((f) => f.trigger.type === 'serviceBusQueue');
  const timers: ScheduledTimer[] = [];
  const startup: FunctionDefinition[] = [];
  let queue: LocalDurableQueue | undefined;
  const ownsQueue = o.queue === undefined;
  let localPump: LocalQueuePump | undefined;
  const busPumps: ServiceBusPump[] = [];
  try {
    if (namespace === undefined || namespace === '') {
      queue =
        o.queue ??
        (await LocalDurableQueue.open({
          // LOCAL_QUEUE_DIR: one queue directory per host, so several local hosts can run side by side.
          dir: o.queueDir ?? (o.env[LOCAL_QUEUE_DIR_SETTING]?.trim() || join(findProjectRoot(), DEFAULT_LOCAL_QUEUE_DIR)),
          ...(o.maxDeliveryCount === undefined ? {} : { maxDeliveryCount: o.maxDeliveryCount }),
          onWarning: (message) => o.hostLog('warning', message),
        }));
      const worker = queueDefs[0];
      if (worker !== undefined) {
        localPump = new LocalQueuePump({
          queue,
          concurrency,
          pollIntervalMs: o.pollIntervalMs ?? 250,
          handle: (body, meta) => o.run(worker, body, 'ServiceBus (local queue)', meta),
          log: o.log,
        });
      }
      o.hostLog('information', `Service Bus trigger fed by the embedded durable queue in ${queue.dir}`);
    } else {
      // Loaded only when needed: the Service Bus SDK and the credential chain are heavy.
      const { ServiceBusPump } = await import('./serviceBusPump.js');
      for (const def of queueDefs) {
        if (def.trigger.type !== 'serviceBusQueue') continue;
        const queueName = resolveAppSetting(def.trigger.queueName, o.env);
        busPumps.push(
          new ServiceBusPump({
            fullyQualifiedNamespace: namespace,
            queueName,
            sessions: def.trigger.isSessionsEnabled,
            concurrency,
            handle: (body, meta) => o.run(def, body, 'ServiceBus', meta),
            log: o.log,
          }),
        );
        o.hostLog('information', `Service Bus trigger fed by queue ${queueName} on ${namespace}`);
      }
    }

    for (const def of o.timers ? o.functions : []) {
      if (def.trigger.type !== 'timer') continue;
      const schedule = resolveAppSetting(def.trigger.schedule, o.env);
      const timer = scheduleTimer(def.name, schedule, (t) => o.run(def, t, 'Timer').catch(() => undefined));
      timers.push(timer);
      o.hostLog('information', `Timer ${def.name} on "${schedule}" (UTC), next ${timer.next()?.toISOString() ?? 'never'}`);
      if (def.trigger.runOnStartup) startup.push(def);
    }
  } catch (error) {
    for (const t of timers) t.stop();
    if (ownsQueue) await queue?.close();
    throw error;
  }

  return {
    queue,
    get busy() {
      return localPump?.busy ?? 0;
    },
    start: () => {
      localPump?.start();
      for (const p of busPumps) p.start();
    },
    runOnStartup: () => {
      for (const def of startup) void o.run(def, timerInput(undefined, undefined), 'Timer (runOnStartup)').catch(() => undefined);
    },
    stop: async () => {
      for (const t of timers) t.stop();
      await localPump?.stop();
      for (const p of busPumps) await p.stop();
    },
    close: async () => {
      if (ownsQueue) await queue?.close();
    },
  };
}
