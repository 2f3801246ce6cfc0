/**
 * What `npm start` runs.
 * - Without ROTATION_CONFIG: the DEMO. The local Azure emulator with the demo estate, the local Functions host
 *   wired to it, then one key rotation a newcomer can watch end to end: the Event Grid event delivered, server keys
 *   upserted on every target (one server throttled and retried through the backoff queue), the protectors
 *   switched (geo secondary before its primary, the auto-rotation server only getting the key), a sync-agent key
 *   rotated into a Key Vault secret, and a summary read back from the emulator. Then it serves until Ctrl-C.
 * - With ROTATION_CONFIG: the local host only, against the real Azure endpoints (through whatever HTTPS_PROXY and
 *   CA the environment gives), on the embedded queue or the configured Service Bus namespace.
 * The first line printed says which mode it is in.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceOverrides, Services } from '../compositionRoot.js';
import type { FunctionDefinition } from '../host/functionDefinition.js';
import type { LocalDurableQueue } from './queue/localDurableQueue.js';
import type { FaultSpec, RunningEmulator } from './emulator/index.js';
import { PollSchedule } from '../domain/pollSchedule.js';
import { consoleLogSink, shortenArmIds, type HostLogSink } from './host/hostLog.js';
import type { LocalHost } from './host/localHost.js';
import { findProjectRoot } from './host/projectRoot.js';

// The heavy modules (Azure SDK, mockttp) load lazily, so the first line appears at once.

/**
 * The app's functions on services built from `env` (ROTATION_CONFIG and the rest, validated once), with the
 * embedded queue when one is given (no Service Bus namespace configured).
 */
export async function loadAppFunctions(
  env: Readonly<Record<string, string | undefined>>,
  queue?: LocalDurableQueue,
  overrides: ServiceOverrides = {},
): Promise<readonly FunctionDefinition[]> {
  const [{ appFunctions }, { createServices }, { loadConfig }] = await Promise.all([
    import('./appFunctions.js'),
    import('../compositionRoot.js'),
    import('../config/loadConfig.js'),
  ]);
  const config = loadConfig(env);
  let services: Services | undefined;
  return appFunctions(() => (services ??= createServices(config, { ...(queue === undefined ? {} : { queue, failures: queue }), ...overrides })));
}

/** Names of the functions the demo drives. */
export const EVENT_FUNCTION = 'keyNewVersionCreated';
export const SYNC_AGENT_FUNCTION = 'syncAgentKeyRotation';
export const RECONCILE_FUNCTION = 'reconcileKeys';
/** Set in the environment of the re-run child (see main) so that it does not print the mode line twice. */
const RERUN_MARKER = 'SQL_TDE_LOCAL_START_CHILD';

/** The demo estate's key, its vault, and the server the demo throttles once. */
export const DEMO_VAULT = 'contoso-tde';
export const DEMO_KEY = 'tde-key';
export const DEMO_SECRET_VAULT = 'contoso-sync';
export const DEMO_THROTTLED_SERVER = 'contoso-sql-reports';
/**
 * The demo's throttle: 429 with Retry-After: 2 on every try of one attempt (the SDK's own short retries included,
 * see src/azure/clientOptions.ts), so the attempt fails and its retry visibly goes through the backoff queue.
 */
export const DEMO_THROTTLE_TIMES = 3;
export const DEMO_RETRY_AFTER_SECONDS = 2;

/** Environment variables that would send DefaultAzureCredential elsewhere than the emulator's identity endpoint. */
const FOREIGN_CREDENTIAL_ENV = [
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'IMDS_ENDPOINT',
  'IDENTITY_SERVER_THUMBPRINT',
];

/** Per-server state read back from the emulator after the demo rotation. */
export interface DemoServerSummary {
  readonly server: string;
  readonly resourceGroup: string;
  /** The server has a server key for the new key version. */
  readonly hasNewKey: boolean;
  /** Server key name of the TDE protector. */
  readonly protector: string;
  /** Key version of the protector (undefined for a versionless auto-rotation protector or ServiceManaged). */
  readonly protectorVersion: string | undefined;
  readonly autoRotation: boolean;
  readonly geoPrimary: string | undefined;
}

export interface DemoSummary {
  readonly keyId: string;
  readonly version: string;
  readonly servers: readonly DemoServerSummary[];
  /** Secrets in the demo secret vault: name and number of versions (never values). */
  readonly secrets: readonly { readonly name: string; readonly versions: number }[];
  /** Sync agents and how many keys were generated for each. */
  readonly syncAgents: readonly { readonly agent: string; readonly keyGenerations: number }[];
  /** 429 answers the emulator gave. */
  readonly throttled: number;
  readonly eventsDelivered: number;
  readonly deadLetters: number;
  readonly elapsedMs: number;
}

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
  const started = Date.now();
  const caDir = options.caDir ?? join(root, '.local-azure', 'ca');
  const queueDir = options.queueDir ?? join(root, '.local-azure', 'demo', 'queue');

  const { ensureLocalCa, loadEstate, startEmulator } = await import('./emulator/index.js');
  const { startLocalHost } = await import('./host/localHost.js');
  const { LocalDurableQueue } = await import('./queue/localDurableQueue.js');
  const ca = await ensureLocalCa(caDir);
  if (process.env['NODE_EXTRA_CA_CERTS'] !== ca.certPath) {
    throw new Error(
      `NODE_EXTRA_CA_CERTS must be ${ca.certPath} when the process starts (Node reads it only then); run the demo through npm start`,
    );
  }

  const emulator = await startEmulator({
    estate: loadEstate(join(root, 'src', 'local', 'estate', 'demoEstate.json')),
    caDir,
    lroRetryAfterSeconds: options.lroRetryAfterSeconds ?? 1,
    log: (line) => log({ time: new Date(), level: 'debug', category: 'Emulator', message: line }),
  });

  // Point this process (whose functions build their Azure clients from the environment) at the emulator.
  const saved = new Map<string, string | undefined>();
  const setEnv = (k: string, v: string | undefined): void => {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  const restoreEnv = (): void => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  for (const k of FOREIGN_CREDENTIAL_ENV) setEnv(k, undefined);
  setEnv('ServiceBusConnection__fullyQualifiedNamespace', undefined);
  for (const [k, v] of Object.entries(emulator.env())) if (k !== 'NODE_EXTRA_CA_CERTS') setEnv(k, v);
  // The SDKs still take the emulator's proxy and identity endpoint from the environment; the app's own settings
  // are passed explicitly.
  const demoSettings = { ROTATION_CONFIG: join(root, 'src', 'local', 'estate', 'demoRotationConfig.json') };

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
    const webhook = host.eventGridWebhookUrl(EVENT_FUNCTION);
    emulator.setEventWebhook({ url: webhook, schema: 'EventGridSchema' });

    out('');
    out('Demo estate (before):');
    for (const line of serverTable(readServers(emulator, undefined))) out(`  ${line}`);
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
    const res = await fetch(`${host.url}/admin/functions/${SYNC_AGENT_FUNCTION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': host.key },
      body: JSON.stringify({ input: '' }),
    });
    await res.arrayBuffer();
    out(`        host answered ${res.status}`);

    out('Step 4: waiting for the queued retries to finish...');
    await host.whenIdle({ timeoutMs: options.timeoutMs ?? 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    await showSyncAgentPickup(emulator, out, options.signal);

    // A lost event: Event Grid gives up after 24 h, Managed HSM sends none. The reconcile timer heals it.
    emulator.setEventWebhook(undefined);
    const healedId = await emulator.rotateKey(DEMO_VAULT, DEMO_KEY);
    const healed = healedId.slice(healedId.lastIndexOf('/') + 1);
    out(`Step 6: Key Vault rotates again (version ${healed}) but the event is lost: nothing is delivered.`);
    out(`        POST ${host.url}/admin/functions/${RECONCILE_FUNCTION} (run the hourly reconcile timer now)`);
    const sweep = await fetch(`${host.url}/admin/functions/${RECONCILE_FUNCTION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': host.key },
      body: JSON.stringify({ input: '' }),
    });
    await sweep.arrayBuffer();
    await host.whenIdle({ timeoutMs: options.timeoutMs ?? 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    const onHealed = readServers(emulator, healed).filter((x) => x.hasNewKey).length;
    out(`        host answered ${sweep.status}; ${onHealed} server(s) now hold version ${healed}, with no event`);

    const summary = summarize(emulator, healedId, healed, started, (await host.queue?.listDeadLetters())?.length ?? 0);
    out('');
    for (const line of summaryLines(summary)) out(line);
    out('');

    const running = host;
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
            await openQueue?.close();
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

/** Reads the servers back from the emulator. */
function readServers(emulator: RunningEmulator, newVersion: string | undefined): DemoServerSummary[] {
  return [...emulator.state.allServers()].map((s) => {
    const protectorVersion = /_([0-9a-f]{32})$/i.exec(s.protector.serverKeyName)?.[1];
    const hasNewKey =
      newVersion !== undefined && [...s.keys.values()].some((k) => k.uri?.toLowerCase().endsWith(`/${newVersion.toLowerCase()}`));
    return {
      server: s.name,
      resourceGroup: s.resourceGroup,
      hasNewKey,
      protector: s.protector.serverKeyName,
      protectorVersion,
      autoRotation: s.protector.autoRotationEnabled,
      geoPrimary: s.geoPrimary?.name,
    };
  });
}

function summarize(
  emulator: RunningEmulator,
  keyId: string,
  version: string,
  started: number,
  deadLetters: number,
): DemoSummary {
  const secretVault = emulator.state.vault(DEMO_SECRET_VAULT);
  return {
    keyId,
    version,
    servers: readServers(emulator, version),
    secrets: [...(secretVault?.secrets.values() ?? [])].map((s) => ({ name: s.name, versions: s.versions.length })),
    syncAgents: [...emulator.state.allServers()].flatMap((s) =>
      [...s.syncAgents.values()].map((a) => ({ agent: `${s.name}/${a.name}`, keyGenerations: a.keyGeneration })),
    ),
    throttled: emulator.stats.throttled,
    eventsDelivered: emulator.events.delivered,
    deadLetters,
    elapsedMs: Date.now() - started,
  };
}

function serverTable(servers: readonly DemoServerSummary[], newVersion?: string): string[] {
  const rows = servers.map((s) => [
    s.server + (s.geoPrimary === undefined ? '' : ` (geo secondary of ${s.geoPrimary})`),
    newVersion === undefined ? '' : s.hasNewKey ? 'yes' : 'NO',
    s.autoRotation ? `${s.protector} (auto-rotation)` : s.protector,
    newVersion === undefined
      ? ''
      : s.protectorVersion === newVersion
        ? 'new version'
        : s.autoRotation
          ? 'versionless: the server follows the key itself'
          : s.protectorVersion === undefined
            ? ''
            : 'old version',
  ]);
  const header = ['server', newVersion === undefined ? '' : 'has new key', 'TDE protector', newVersion === undefined ? '' : 'protector is'];
  const cols = header.map((_, i) => (newVersion === undefined && (i === 1 || i === 3) ? -1 : i));
  const used = cols.filter((i) => i >= 0);
  const widths = used.map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => used.map((i, j) => r[i]!.padEnd(widths[j]!)).join('  ').trimEnd();
  return [line(header), line(header.map((h) => '-'.repeat(h.length))), ...rows.map(line)];
}

/** The readable summary printed at the end of the demo. */
export function summaryLines(s: DemoSummary): string[] {
  const allKeyed = s.servers.every((x) => x.hasNewKey);
  const lines = [
    `Summary (${(s.elapsedMs / 1000).toFixed(1)} s): key ${s.keyId}`,
    ...serverTable(s.servers, s.version).map((l) => `  ${l}`),
    '',
    `  server keys for the new version: ${s.servers.filter((x) => x.hasNewKey).length} of ${s.servers.length} servers${allKeyed ? '' : ' (INCOMPLETE)'}`,
    `  protectors switched to the new version: ${s.servers.filter((x) => x.protectorVersion === s.version).length}` +
      ` (auto-rotation servers keep their versionless protector: ${s.servers.filter((x) => x.autoRotation).length})`,
    `  ARM 429 answers: ${s.throttled} (retried through the local backoff queue); events delivered: ${s.eventsDelivered}`,
    ...s.syncAgents.map((a) => `  sync agent ${a.agent}: ${a.keyGenerations} key(s) generated`),
    ...s.secrets.map((x) => `  secret ${x.name} in ${DEMO_SECRET_VAULT}: ${x.versions} version(s) (value never printed)`),
    `  dead letters: ${s.deadLetters}`,
  ];
  return lines.map(shortenArmIds);
}

/** With ROTATION_CONFIG: the host alone, against whatever Azure the environment reaches. */
export async function startAzureHost(options: { readonly port?: number; readonly log?: HostLogSink } = {}): Promise<LocalHost> {
  // Fail fast with every configuration problem listed, rather than at the first event.
  const { loadConfig } = await import('../config/loadConfig.js');
  const config = loadConfig(process.env);
  const { startLocalHost } = await import('./host/localHost.js');
  const { LocalDurableQueue } = await import('./queue/localDurableQueue.js');
  // No Service Bus namespace: the embedded durable queue, opened here so that the functions' services use it.
  const queue = config.serviceBus
    ? undefined
    : await LocalDurableQueue.open({ dir: process.env['LOCAL_QUEUE_DIR']?.trim() || join(findProjectRoot(), '.local-azure', 'queue') });
  const host = await startLocalHost({
    functions: await loadAppFunctions(process.env, queue),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(queue === undefined ? {} : { queue }),
    env: process.env,
    log: options.log ?? consoleLogSink(),
  });
  if (queue === undefined) return host;
  return Object.assign(Object.create(host) as LocalHost, {
    stop: async () => {
      await host.stop();
      await queue.close();
    },
  });
}

/**
 * Entry point of `npm start`. In demo mode the process must trust the emulator's CA from its start: when
 * NODE_EXTRA_CA_CERTS does not name it yet, the CA is created and this script runs again as a child with it set.
 */
export async function main(): Promise<void> {
  const azure = (process.env['ROTATION_CONFIG'] ?? '').trim() !== '';
  if (process.env[RERUN_MARKER] === undefined) {
    process.stdout.write(
      azure
        ? 'sql-tde-key-rotation: AZURE mode (ROTATION_CONFIG is set): local Functions host against the real Azure endpoints\n'
        : 'sql-tde-key-rotation: DEMO mode (no ROTATION_CONFIG): local Azure emulator + local Functions host; nothing leaves this machine\n',
    );
  }
  if (!azure) {
    const caDir = join(findProjectRoot(), '.local-azure', 'ca');
    let certPath = join(caDir, 'ca.pem');
    if (!existsSync(certPath)) certPath = (await (await import('./emulator/index.js')).ensureLocalCa(caDir)).certPath;
    if (process.env['NODE_EXTRA_CA_CERTS'] !== certPath) {
      const code = await rerunWith({ NODE_EXTRA_CA_CERTS: certPath, [RERUN_MARKER]: '1' });
      process.exit(code);
    }
  }

  // Signals are handled from the start: a Ctrl-C while the demo starts aborts it (and stops what it started).
  const abort = new AbortController();
  let stop: (() => Promise<void>) | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let stopping = false;
  const onSignal = (): void => {
    // Stays registered: a second Ctrl-C (or the parent forwarding the same one) must not kill a clean stop.
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping...\n');
    if (stop === undefined) {
      abort.abort();
      return;
    }
    stop().then(done, (error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`);
      process.exitCode = 1;
      done();
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let url: string;
  try {
    if (azure) {
      const host = await startAzureHost();
      stop = () => host.stop();
      url = host.url;
    } else {
      const demo = await startDemo({ signal: abort.signal });
      stop = () => demo.stop();
      url = demo.host.url;
    }
  } catch (error) {
    if (abort.signal.aborted) {
      process.stdout.write('Stopped.\n');
      process.exit(0);
    }
    process.stderr.write(`start failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  }
  if (stopping) {
    // Ctrl-C came while the last start step finished.
    stopping = false;
    onSignal();
  } else {
    process.stdout.write(`Serving on ${url} (status: ${url}/admin/host/status with the host key printed above). Press Ctrl-C to stop.\n`);
  }
  await finished;
  process.stdout.write('Stopped.\n');
  // Nothing of ours is left running; do not wait for idle sockets of the SDK's agents to time out.
  process.exit(process.exitCode ?? 0);
}

/** Runs this script again with extra environment; resolves to the child's exit code. */
function rerunWith(extraEnv: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, ...extraEnv },
    });
    // Ctrl-C reaches the whole foreground process group; a signal sent to this process alone is forwarded. The
    // child stops cleanly on the first one and ignores repeats; the parent only waits for it.
    process.on('SIGINT', () => child.kill('SIGINT'));
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
  });
}

/**
 * Demo step 5: the sync agent dropped when its key was regenerated; its host (the emulator playing
 * Submit-SyncAgentKey.ps1, `pickupAfterSeconds` in demoEstate.json) submits the new key and the agent comes back,
 * which is what the timer's handoff check (and `sync-agents status`) reports as "back online".
 */
async function showSyncAgentPickup(emulator: RunningEmulator, out: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const { observeSyncAgent } = await import('./emulator/index.js');
  const agents = [...emulator.state.allServers()].flatMap((s) => [...s.syncAgents.values()].filter((a) => a.keyGeneration > 0).map((a) => ({ s, a })));
  if (agents.length === 0) return;
  out("Step 5: the sync agent dropped when its key was regenerated; its host submits the new key (simulated)...");
  const deadline = Date.now() + 15_000;
  for (const { s, a } of agents) {
    let view = observeSyncAgent(a, Date.now());
    while (view.state !== 'Online' && Date.now() < deadline && a.pickup.kind === 'after') {
      signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 250));
      view = observeSyncAgent(a, Date.now());
    }
    const seen = view.lastAliveTime === undefined ? 'never' : new Date(view.lastAliveTime).toISOString();
    out(
      view.state === 'Online'
        ? `        sync agent ${s.name}/${a.name}: back online with the new key, submitted by its host at ` +
            `${a.lastAliveAt === undefined ? seen : new Date(a.lastAliveAt).toISOString()} (handoff: back online)`
        : `        sync agent ${s.name}/${a.name}: ${view.state}, last alive ${seen} (handoff: awaiting pickup; overdue after 30 minutes)`,
    );
  }
}

if (typeof require !== 'undefined' && require.main === module) void main();
