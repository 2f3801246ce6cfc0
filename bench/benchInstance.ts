/**
 * One instance of the app for the benchmarks: a local Functions host (Event Grid trigger + Service Bus worker on
 * the embedded session queue) with the services an Azure instance would build, in a process of its own, driven
 * by bench/rotateManyServers.ts over Node's IPC channel. Started with the emulator's environment (HTTPS_PROXY,
 * IDENTITY_ENDPOINT, NODE_EXTRA_CA_CERTS), ROTATION_CONFIG (a file) and LOCAL_QUEUE_DIR.
 *
 * The ARM side is built as the composition root should build it (issue 12): one ArmBudget per process for reads
 * and writes, one PollSchedule, and the adapter answering the reconciler's look after its own writes.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { makeKeyNewVersionCreated } from '../functions/keyNewVersionCreated.js';
import { makeRotationWorker } from '../functions/rotationWorker.js';
import { ArmSqlServerKeys } from '../src/azure/armSqlServerKeys.js';
import { MAX_INLINE_WAIT_MS } from '../src/azure/shortRetryOptions.js';
import { SqlClientFactory } from '../src/azure/sqlClientFactory.js';
import { createServices, type Services } from '../src/compositionRoot.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { ArmBudget } from '../src/domain/armBudget.js';
import { PollSchedule } from '../src/domain/pollSchedule.js';
import { startLocalHost, type LocalHost } from '../src/local/host/localHost.js';
import { LocalDurableQueue } from '../src/local/queue/localDurableQueue.js';

/** Parent -> instance. */
export type InstanceCommand = { type: 'start'; sessions: number } | { type: 'waitIdle' } | { type: 'stop' };

/** Instance -> parent. */
export type InstanceReport =
  | { type: 'ready'; webhookUrl: string }
  | { type: 'idle'; idleAt: number; maxRssMb: number; deadLetters: number; deadLetterReasons: string[] }
  | { type: 'error'; message: string };

let host: LocalHost | undefined;
let queue: LocalDurableQueue | undefined;

function report(r: InstanceReport): void {
  process.send?.(r);
}

async function start(sessions: number): Promise<void> {
  const config = loadConfig(process.env);
  const dir = process.env['LOCAL_QUEUE_DIR'];
  if (!dir) throw new Error('LOCAL_QUEUE_DIR is required');
  queue = await LocalDurableQueue.open({ dir });
  const credential = new DefaultAzureCredential();
  // One budget and one schedule per process, shared by every ARM client (ARM counts per subscription).
  const sqlClients = new SqlClientFactory(credential, {}, { budget: new ArmBudget(), maxInlineWaitMs: MAX_INLINE_WAIT_MS });
  const arm = new ArmSqlServerKeys(sqlClients, { pollSchedule: new PollSchedule(), rememberWritesMs: 60_000 });
  const services: Services = createServices(config, { credential, queue, failures: queue, sql: arm, servers: arm });
  const provider = () => services;
  host = await startLocalHost({
    functions: [makeKeyNewVersionCreated(provider), makeRotationWorker(provider)],
    port: 0,
    queue,
    concurrency: sessions,
    pollIntervalMs: 50,
    timers: false,
    log: (r) => {
      if (r.level === 'error') process.stderr.write(`[instance ${process.pid}] ${r.message}\n`);
    },
  });
  report({ type: 'ready', webhookUrl: host.eventGridWebhookUrl('keyNewVersionCreated') });
}

async function waitIdle(): Promise<void> {
  if (!host || !queue) throw new Error('not started');
  await host.whenIdle({ timeoutMs: 60 * 60_000 });
  const idleAt = Date.now();
  const dead = await queue.listDeadLetters();
  report({
    type: 'idle',
    idleAt,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    deadLetters: dead.length,
    deadLetterReasons: [...new Set(dead.map((d) => d.reason))].slice(0, 5),
  });
}

async function stop(): Promise<void> {
  await host?.stop();
  await queue?.close();
  process.exit(0);
}

process.on('message', (m: InstanceCommand) => {
  const run = m.type === 'start' ? start(m.sessions) : m.type === 'waitIdle' ? waitIdle() : stop();
  run.catch((e: unknown) => report({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});
process.on('disconnect', () => process.exit(0));
