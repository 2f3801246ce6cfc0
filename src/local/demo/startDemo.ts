/**
 * The DEMO of `npm start` (no ROTATION_CONFIG): the local Azure emulator with the demo estate, the local
 * Functions host wired to it, then one key rotation a newcomer can watch end to end: the Event Grid event
 * delivered, server keys upserted on every target (one server throttled and retried through the backoff queue),
 * the protectors switched (geo secondary before its primary, the auto-rotation server only getting the key), a
 * sync-agent key rotated into a Key Vault secret, a lost event healed by the reconcile timer, and a summary read
 * back from the emulator. Host and emulator keep serving afterwards.
 */
import {
  DEMO_ESTATE_FILE,
  DEMO_ROTATION_CONFIG_FILE,
  ensureLocalCa,
  loadEstate,
  pointAtEmulator,
  startEmulator,
  type FaultSpec,
  type RunningEmulator,
} from '@sql-key-rotation/local-azure';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PollSchedule } from '../../domain/pollSchedule.js';
import { ROTATION_CONFIG_SETTING } from '../../config/settings.js';
import { consoleLogSink, type HostLogSink } from '../host/formatLogRecord.js';
import type { LocalHost } from '../host/localHost.js';
import { findProjectRoot } from '../host/findProjectRoot.js';
import { loadAppFunctions } from '../loadAppFunctions.js';
import type { LocalDurableQueue } from '../queue/localDurableQueue.js';
import { DEMO_KEY, DEMO_VAULT, readDemoServers, readDemoSummary, type DemoSummary } from './readDemoSummary.js';
import { showSyncAgentPickup } from './showSyncAgentPickup.js';
import { serverTable, summaryLines } from './summaryLines.js';

/** Names of the functions the demo drives. */
export const EVENT_FUNCTION = 'keyNewVersionCreated';
export const SYNC_AGENT_FUNCTION = 'syncAgentKeyRotation';
export const RECONCILE_FUNCTION = 'reconcileKeys';

/** The server the demo throttles once. */
export const DEMO_THROTTLED_SERVER = 'contoso-sql-reports';
/**
 * The demo's throttle: 429 with Retry-After: 2 on every try of one attempt (the SDK's own short retries included,
 * see src/azure/shortRetryOptions.ts), so the attempt fails and its retry visibly goes through the backoff queue.
 */
export const DEMO_THROTTLE_TIMES = 3;
export const DEMO_RETRY_AFTER_SECONDS = 2;

export interface DemoOptions {
  /** Host port (default: PORT, else 7071; 0 picks a free port). */
  readonly port?: number;
  /** Where log records go (default: readable lines on the console, ARM ids shortened). */
  readonly log?: HostLogSink;
  /** Where the demo's narrative lines go (default: stdout). */
  readonly out?: (line: string) => void;
  /** Emulator CA directory (default `{root}/.local-azure/ca`). */
  readonly caDir?: string;
  /** Embedded queue directory, emptied first (default `{root}/.local-azure/demo/queue`). */
  readonly queueDir?: string;
  /** Emulator LRO Retry-After (default 1 s, as Azure's first poll). */
  readonly lroRetryAfterSeconds?: number;
  /** Longest wait for the rotation to finish (default 60 s). */
  readonly timeoutMs?: number;
  /** Aborts the demo while it starts (Ctrl-C before the summary): everything started is stopped again. */
  readonly signal?: AbortSignal;
}

export interface RunningDemo {
  readonly host: LocalHost;
  readonly emulator: RunningEmulator;
  readonly summary: DemoSummary;
  /** Stops host and emulator and restores the environment. */
  stop(): Promise<void>;
}

/** Runs the demo up to its summary and leaves host and emulator serving. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const root = findProjectRoot();
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = options.log ?? consoleLogSink({ shortIds: true });
  const startedAt = Date.now();
  const caDir = options.caDir ?? join(root, '.local-azure', 'ca');
  const queueDir = options.queueDir ?? join(root, '.local-azure', 'demo', 'queue');

  const { startLocalHost } = await import('../host/localHost.js');
  const { LocalDurableQueue } = await import('../queue/localDurableQueue.js');
  const ca = await ensureLocalCa(caDir);
  if (process.env['NODE_EXTRA_CA_CERTS'] !== ca.certPath) {
    throw new Error(
      `NODE_EXTRA_CA_CERTS must be ${ca.certPath} when the process starts (Node reads it only then); run the demo through npm start`,
    );
  }

  const emulator = await startEmulator({
    estate: loadEstate(DEMO_ESTATE_FILE),
    caDir,
    lroRetryAfterSeconds: options.lroRetryAfterSeconds ?? 1,
    log: (line) => log({ time: new Date(), level: 'debug', category: 'Emulator', message: line }),
  });
  const restoreEnv = pointAtEmulator(emulator);
  const demoSettings = { [ROTATION_CONFIG_SETTING]: DEMO_ROTATION_CONFIG_FILE };

  let host: LocalHost | undefined;
  let queue: LocalDurableQueue | undefined;
  try {
    await rm(queueDir, { recursive: true, force: true }); // a demo starts from an empty queue
    queue = await LocalDurableQueue.open({ dir: queueDir });
    host = await startLocalHost({
      // The demo emulator finishes operations at once: poll after a fraction of a second, not the recorded 10 s.
      functions: await loadAppFunctions(demoSettings, queue, { pollSchedule: new PollSchedule({ initialExpectedMs: 200, minDelayMs: 50 }) }),
      ...(options.port === undefined ? {} : { port: options.port }),
      env: process.env,
      queue,
      log,
    });
    const running = host;
    const whenIdle = () => running.whenIdle({ timeoutMs: options.timeoutMs ?? 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    const webhook = host.eventGridWebhookUrl(EVENT_FUNCTION);
    emulator.setEventWebhook({ url: webhook, schema: 'EventGridSchema' });

    out('');
    out('Demo estate (before):');
    for (const line of serverTable(readDemoServers(emulator, undefined))) out(`  ${line}`);
    out('');

    const throttle: FaultSpec = {
      kind: 'throttle',
      route: 'arm.serverKeys.createOrUpdate',
      method: 'PUT',
      url: new RegExp(`/servers/${DEMO_THROTTLED_SERVER}/keys/`, 'i'),
      times: DEMO_THROTTLE_TIMES,
      retryAfterSeconds: DEMO_RETRY_AFTER_SECONDS,
    };
    emulator.faults.inject(throttle);
    out(
      `Step 1: ARM will answer the next key upsert on ${DEMO_THROTTLED_SERVER} with 429 Retry-After: ${DEMO_RETRY_AFTER_SECONDS}` +
        ' (the retry must go through the backoff queue).',
    );
    out(`Step 2: Key Vault rotates ${DEMO_VAULT}/${DEMO_KEY}; Event Grid delivers KeyNewVersionCreated to ${webhook.replace(host.key, '<host key>')}`);
    options.signal?.throwIfAborted();
    const keyId = await emulator.rotateKey(DEMO_VAULT, DEMO_KEY);
    const version = keyId.slice(keyId.lastIndexOf('/') + 1);
    out(`        new key version ${version}; event delivered (${emulator.events.delivered} delivered, ${emulator.events.failed} failed)`);

    out(`Step 3: POST ${host.url}/admin/functions/${SYNC_AGENT_FUNCTION} (run the weekly sync-agent timer now)`);
    out(`        host answered ${await runFunctionNow(host, SYNC_AGENT_FUNCTION)}`);

    out('Step 4: waiting for the queued retries to finish...');
    await whenIdle();
    await showSyncAgentPickup(emulator, out, options.signal);

    // A lost event: Event Grid gives up after 24 h, Managed HSM sends none. The reconcile timer heals it.
    emulator.setEventWebhook(undefined);
    const healedId = await emulator.rotateKey(DEMO_VAULT, DEMO_KEY);
    const healed = healedId.slice(healedId.lastIndexOf('/') + 1);
    out(`Step 6: Key Vault rotates again (version ${healed}) but the event is lost: nothing is delivered.`);
    out(`        POST ${host.url}/admin/functions/${RECONCILE_FUNCTION} (run the hourly reconcile timer now)`);
    const sweepStatus = await runFunctionNow(host, RECONCILE_FUNCTION);
    await whenIdle();
    const onHealed = readDemoServers(emulator, healed).filter((x) => x.hasNewKey).length;
    out(`        host answered ${sweepStatus}; ${onHealed} target(s) now hold version ${healed}, with no event`);

    const deadLetters = (await host.queue?.listDeadLetters())?.length ?? 0;
    const summary = readDemoSummary(emulator, { keyId: healedId, version: healed, startedAt, deadLetters });
    out('');
    for (const line of summaryLines(summary)) out(line);
    out('');

    const openQueue = queue;
    let stopped: Promise<void> | undefined;
    return {
      host: running,
      emulator,
      summary,
      stop: () => {
        stopped ??= (async () => {
          try {
            await running.stop();
            await openQueue.close();
            await emulator.stop();
          } finally {
            restoreEnv();
          }
        })();
        return stopped;
      },
    };
  } catch (error) {
    await host?.stop().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await emulator.stop().catch(() => undefined);
    restoreEnv();
    throw error;
  }
}

/** `POST /admin/functions/{name}` with the host key, as an operator would; resolves to the HTTP status. */
async function runFunctionNow(host: LocalHost, name: string): Promise<number> {
  const res = await fetch(`${host.url}/admin/functions/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': host.key },
    body: JSON.stringify({ input: '' }),
  });
  await res.arrayBuffer();
  return res.status;
}
