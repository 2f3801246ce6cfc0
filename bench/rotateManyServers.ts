/**
 * Benchmark (issue 4): rotate N servers (default 1,000) sharing one Key Vault key, each getting the new server
 * key and a protector switch, through the real path: the emulator (ARM write bucket at Azure's published
 * 200 writes / 10 per second per subscription), the Event Grid delivery, the keyNewVersionCreated function,
 * the backoff queue (the local durable queue) and the rotationWorker function with the real Azure SDK clients.
 *
 *   npm run bench                       # 1,000 servers
 *   npm run bench -- --servers 300 --concurrency 32
 *
 * Prints: makespan, the ideal makespan the token bucket allows, their ratio, the share of requests answered
 * 429, attempts per server (max, mean), peak RSS of the app process (the emulator runs in its own process).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { keyNewVersionCreated } from '../functions/keyNewVersionCreated.js';
import { rotationWorker } from '../functions/rotationWorker.js';
import type { WorkQueue } from '../src/app/ports.js';
import { configureServices, resetServices, type ServiceOverrides } from '../src/compositionRoot.js';
import { DEFAULT_RETRY_POLICY } from '../src/domain/backoff.js';
import type { WorkItem } from '../src/domain/workItem.js';
import { startEmulatorProcess } from '../src/local/emulator/emulatorProcess.js';
import type { Estate } from '../src/local/estate/estate.js';
import { startLocalHost } from '../src/local/host/localHost.js';
import { findProjectRoot } from '../src/local/host/projectRoot.js';

const SUB = '5b4b650e-28b9-4790-b3ab-ddbd88d727c4';
const VAULT = 'bench-tde';
const V1 = 'a'.repeat(32);
const BUCKET = { capacity: 200, refillPerSecond: 10 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '32' },
      'lro-retry-after': { type: 'string', default: '1' },
    },
  });
  const servers = Number(values.servers);
  const concurrency = Number(values.concurrency);
  const root = findProjectRoot();
  const caPath = resolve(root, '.local-azure', 'ca', 'ca.pem');
  if (process.env['NODE_EXTRA_CA_CERTS'] !== caPath || !existsSync(caPath)) {
    // Node reads NODE_EXTRA_CA_CERTS only at start: make the CA, then run again with it trusted. The CA module
    // (mockttp) is loaded only in this launcher, not in the measured process.
    const { ensureLocalCa } = await import('../src/local/emulator/localCertificateAuthority.js');
    const ca = await ensureLocalCa(resolve(root, '.local-azure', 'ca'));
    const r = spawnSync(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certPath },
    });
    process.exit(r.status ?? 1);
  }

  // The emulator runs in a process of its own, as Azure would be another machine.
  const emulator = await startEmulatorProcess({
    estate: benchEstate(servers),
    caDir: resolve(root, '.local-azure', 'ca'),
    writeBucket: BUCKET,
    lroRetryAfterSeconds: Number(values['lro-retry-after']),
    lroInProgressPolls: 1,
  });
  Object.assign(process.env, emulator.env());
  const serverIds = await emulator.serverIds();
  process.env['ROTATION_CONFIG'] = JSON.stringify({
    keys: {
      [`https://${VAULT}.vault.azure.net/keys/tde-key`]: {
        servers: serverIds.map((id) => ({ id, switchProtector: true })),
      },
    },
  });
  delete process.env['ServiceBusConnection__fullyQualifiedNamespace'];

  // Count attempts per server: every retry is a scheduled work item with its attempt number.
  const maxAttempt = new Map<string, number>();
  const queueDir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  resetServices();
  const host = await startLocalHost({
    functions: [keyNewVersionCreated, rotationWorker],
    port: 0,
    queueDir,
    concurrency,
    pollIntervalMs: 50,
    timers: false,
    log: (r) => {
      if (r.level === 'error') process.stderr.write(`${r.message}\n`);
    },
    configureServices: (o: ServiceOverrides) => configureServices({ ...o, queue: counting(o.queue, maxAttempt) }),
  });
  await emulator.setEventWebhook({ url: host.eventGridWebhookUrl('keyNewVersionCreated') });

  const started = Date.now();
  let newName = '';
  const ticker = setInterval(() => {
    void emulator.stats(newName).then((st) => {
      const q = host.queue?.counts();
      const m = process.memoryUsage();
      process.stderr.write(
        `  t=${((Date.now() - started) / 1000).toFixed(0)}s rotated=${st.serversOnKey ?? 0} requests=${st.requests} 429=${st.throttled} queue=${JSON.stringify(q)} rss=${mb(m.rss)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} external=${mb(m.external)}\n`,
      );
    });
  }, 10_000);
  // rotateKey resolves once the event has been delivered to the host (as Event Grid would).
  const newId = await emulator.rotateKey(VAULT, 'tde-key');
  newName = `${VAULT}_tde-key_${newId.split('/').at(-1) ?? ''}`.toLowerCase();
  await host.whenIdle({ timeoutMs: 60 * 60_000 });
  const makespanS = (Date.now() - started) / 1000;
  clearInterval(ticker);
  const st = await emulator.stats(newName);
  const done = st.serversOnKey ?? 0;
  const requests = st.requests;
  const throttled = st.throttled;
  const writes = servers * 2;
  const idealS = Math.max(0, writes - BUCKET.capacity) / BUCKET.refillPerSecond;
  const attempts = serverIds.map((id) => maxAttempt.get(id.toLowerCase()) ?? 1);
  const deadLetters = (await host.queue?.listDeadLetters())?.length ?? 0;
  const rssMb = process.resourceUsage().maxRSS / 1024;

  const rows: [string, string][] = [
    ['servers', String(servers)],
    ['servers rotated (protector on the new version)', `${done} / ${servers}`],
    ['dead-lettered work items', String(deadLetters)],
    ['ARM writes needed (key upsert + protector switch)', String(writes)],
    ['makespan', `${makespanS.toFixed(1)} s`],
    ['ideal makespan (token bucket: (writes - 200) / 10 per s)', `${idealS.toFixed(1)} s`],
    ['makespan / ideal', idealS > 0 ? (makespanS / idealS).toFixed(3) : 'n/a'],
    ['requests answered 429', `${throttled} of ${requests} (${((100 * throttled) / requests).toFixed(2)} %)`],
    ['attempts per server (max / mean)', `${Math.max(...attempts)} / ${(attempts.reduce((a, b) => a + b, 0) / attempts.length).toFixed(2)} (limit ${DEFAULT_RETRY_POLICY.maxAttempts})`],
    ['peak RSS of the app (local host + functions)', `${rssMb.toFixed(0)} MB`],
    ['peak RSS of the emulator process (for reference)', `${st.maxRssMb.toFixed(0)} MB`],
    ['worker concurrency', String(concurrency)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nBenchmark: rotate ${servers} servers sharing one key (node ${process.version})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);

  await host.stop();
  await host.queue?.close();
  await emulator.stop();
  rmSync(queueDir, { recursive: true, force: true });
  process.exit(done === servers && deadLetters === 0 ? 0 : 1);
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)}MB`;
}

function counting(inner: WorkQueue | undefined, maxAttempt: Map<string, number>): WorkQueue {
  if (!inner) throw new Error('the local host did not provide its queue');
  return {
    schedule(items: readonly WorkItem[], at?: Date) {
      for (const i of items) {
        const k = i.target.toLowerCase();
        maxAttempt.set(k, Math.max(maxAttempt.get(k) ?? 1, i.attempt));
      }
      return inner.schedule(items, at);
    },
  };
}

function benchEstate(n: number): Estate {
  const uri = `https://${VAULT}.vault.azure.net/keys/tde-key/${V1}`;
  const groups = Array.from({ length: Math.ceil(n / 100) }, (_, g) => ({
    name: `rg-bench-${g}`,
    servers: Array.from({ length: Math.min(100, n - g * 100) }, (_, i) => ({
      name: `sql-bench-${g * 100 + i}`,
      location: 'westeurope',
      keys: [{ uri }],
      protector: { serverKeyType: 'AzureKeyVault' as const, serverKeyName: `${VAULT}_tde-key_${V1}` },
    })),
  }));
  return {
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    subscriptions: [{ id: SUB, resourceGroups: groups }],
    vaults: [
      {
        name: VAULT,
        subscriptionId: SUB,
        resourceGroup: 'rg-security',
        keys: [{ name: 'tde-key', versions: [{ version: V1, kty: 'RSA', size: 2048, created: '2026-01-01T00:00:00Z' }] }],
      },
    ],
  };
}

main().catch((e: unknown) => {
  process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
