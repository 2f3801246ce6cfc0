/**
 * Benchmark (issue 12): rotate N servers (default 1,000) sharing one Key Vault key through the real path, against
 * an emulator that behaves as Azure does: server-key and protector operations that take 10 s with no Retry-After
 * (the recorded azure-cli flow), and ARM's per-subscription buckets for writes (200, +10/s) and reads (250, +25/s,
 * LRO polls included). Each app instance is a process of its own (bench/benchInstance.ts: local Functions host,
 * Event Grid trigger, Service Bus worker on the embedded session queue, the real Azure SDK clients); the emulator
 * is another; this driver only coordinates and measures.
 *
 *   npm run bench                   # (a) one instance, 1,000 servers
 *   npm run bench:instances         # (b) four instances, 250 servers each, one emulator (one subscription)
 *   npm run bench -- --servers 300 --sessions 100 --operation-ms 2000 --retry-after 1
 *
 * With several instances each has its own ROTATION_CONFIG (its share of the servers) and its own queue directory
 * (LOCAL_QUEUE_DIR); the key's event is delivered to each, as to separate Event Grid subscriptions. They share
 * nothing but ARM's buckets, which they learn about only from ARM's headers.
 *
 * Prints: makespan; ideal = (2 x servers - 200) / 10 s + one operation (the write bucket's limit); their ratio;
 * ARM requests answered 429, reads and writes apart; ARM reads and writes per server; peak RSS per instance.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLocalCa, startEmulatorProcess, type Estate } from '@sql-key-rotation/local-azure';
import { findProjectRoot } from '../src/local/host/findProjectRoot.js';
import type { InstanceCommand, InstanceReport } from './benchInstance.js';

const SUB = '5b4b650e-28b9-4790-b3ab-ddbd88d727c4';
const VAULT = 'bench-tde';
const V1 = 'a'.repeat(32);
const WRITE_BUCKET = { capacity: 200, refillPerSecond: 10 };
const READ_BUCKET = { capacity: 250, refillPerSecond: 25 };

interface Instance {
  readonly child: ChildProcess;
  readonly webhookUrl: string;
  readonly dir: string;
  next(): Promise<InstanceReport>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: '1000' },
      instances: { type: 'string', default: '1' },
      // Sessions (targets in progress) per instance: host.json maxConcurrentSessions. See the README's arithmetic.
      sessions: { type: 'string' },
      'operation-ms': { type: 'string', default: '10000' },
      // Retry-After on the LRO answers in seconds; omitted: none, as the recording shows.
      'retry-after': { type: 'string' },
    },
  });
  const servers = Number(values.servers);
  const instances = Number(values.instances);
  const operationMs = Number(values['operation-ms']);
  const sessions = Number(values.sessions ?? String(Math.ceil(250 / instances)));
  const root = findProjectRoot();
  const ca = await ensureLocalCa(resolve(root, '.local-azure', 'ca'));

  const emulator = await startEmulatorProcess({
    estate: benchEstate(servers),
    caDir: resolve(root, '.local-azure', 'ca'),
    writeBucket: WRITE_BUCKET,
    readBucket: READ_BUCKET,
    lroInProgressPolls: 0,
    lroRetryAfterSeconds: values['retry-after'] === undefined ? false : Number(values['retry-after']),
    operationDurationMs: operationMs,
  });
  const serverIds = await emulator.serverIds();
  const work = mkdtempSync(join(tmpdir(), 'bench-'));

  // Instances: each with its share of the servers, its own queue directory and config file.
  const started: Instance[] = [];
  const per = Math.ceil(servers / instances);
  for (let i = 0; i < instances; i++) {
    const mine = serverIds.slice(i * per, (i + 1) * per);
    const configPath = join(work, `config-${i}.json`);
    writeFileSync(configPath, JSON.stringify({ keys: { [`https://${VAULT}.vault.azure.net/keys/tde-key`]: { servers: mine.map((id) => ({ id, switchProtector: true })) } } }));
    started.push(
      await startInstance({
        ...emulator.env(),
        NODE_EXTRA_CA_CERTS: ca.certPath,
        ROTATION_CONFIG: configPath,
        LOCAL_QUEUE_DIR: join(work, `queue-${i}`),
      }, sessions),
    );
  }

  // The key's event reaches every instance, as it would reach separate Event Grid subscriptions.
  const fanOut = await eventFanOut(started.map((s) => s.webhookUrl));
  await emulator.setEventWebhook({ url: `http://127.0.0.1:${(fanOut.address() as AddressInfo).port}/` });

  const startedAt = Date.now();
  let newName = '';
  const ticker = setInterval(() => {
    void emulator.stats(newName).then((st) => {
      process.stderr.write(
        `  t=${((Date.now() - startedAt) / 1000).toFixed(0)}s switched=${st.serversOnKey ?? 0} writes=${st.writes} reads=${st.reads} 429=${st.throttledWrites}w/${st.throttledReads}r\n`,
      );
    });
  }, 10_000);
  // rotateKey resolves once the event has been delivered (to the fan-out, which waits for every instance).
  const newId = await emulator.rotateKey(VAULT, 'tde-key');
  newName = `${VAULT}_tde-key_${newId.split('/').at(-1) ?? ''}`.toLowerCase();
  const idle = await Promise.all(
    started.map(async (s) => {
      s.child.send({ type: 'waitIdle' } satisfies InstanceCommand);
      const r = await s.next();
      if (r.type !== 'idle') throw new Error(`instance failed: ${r.type === 'error' ? r.message : r.type}`);
      return r;
    }),
  );
  clearInterval(ticker);
  const makespanS = (Math.max(...idle.map((r) => r.idleAt)) - startedAt) / 1000;
  const st = await emulator.stats(newName);
  const done = st.serversOnKey ?? 0;
  const idealS = Math.max(0, 2 * servers - WRITE_BUCKET.capacity) / WRITE_BUCKET.refillPerSecond + operationMs / 1000;
  const armRequests = st.reads + st.writes;
  const throttled = st.throttledReads + st.throttledWrites;
  const deadLetters = idle.reduce((a, r) => a + r.deadLetters, 0);
  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(2)} %`;

  const rows: [string, string][] = [
    ['servers (instances x servers each)', `${servers} (${instances} x ${per})`],
    ['servers rotated (protector on the new version)', `${done} / ${servers}`],
    ['dead-lettered work items', `${deadLetters}${deadLetters > 0 ? ` (${[...new Set(idle.flatMap((r) => r.deadLetterReasons))].join(', ')})` : ''}`],
    ['operation duration / Retry-After on LROs', `${operationMs / 1000} s / ${values['retry-after'] === undefined ? 'none' : `${values['retry-after']} s`}`],
    ['makespan', `${makespanS.toFixed(1)} s`],
    ['ideal ((2 x servers - 200) / 10 per s + one operation)', `${idealS.toFixed(1)} s`],
    ['makespan / ideal', (makespanS / idealS).toFixed(3)],
    ['ARM requests answered 429 (reads + writes)', `${throttled} of ${armRequests} (${pct(throttled, armRequests)})`],
    ['  reads answered 429', `${st.throttledReads} of ${st.reads} (${pct(st.throttledReads, st.reads)})`],
    ['  writes answered 429', `${st.throttledWrites} of ${st.writes} (${pct(st.throttledWrites, st.writes)})`],
    ['ARM reads per server (LRO polls included)', (st.reads / servers).toFixed(2)],
    ['ARM writes per server', (st.writes / servers).toFixed(2)],
    ['peak RSS per instance (max / each)', `${Math.max(...idle.map((r) => r.maxRssMb)).toFixed(0)} MB / ${idle.map((r) => r.maxRssMb.toFixed(0)).join(', ')} MB`],
    ['peak RSS of the emulator process (for reference)', `${st.maxRssMb.toFixed(0)} MB`],
    ['sessions per instance (targets in progress)', String(sessions)],
    ['throughput', `${((servers / makespanS) * 3600).toFixed(0)} servers per hour`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nBenchmark: rotate ${servers} servers sharing one key, ${instances} instance(s) (node ${process.version})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);

  for (const s of started) s.child.send({ type: 'stop' } satisfies InstanceCommand);
  await Promise.all(started.map((s) => new Promise((r) => s.child.once('exit', r))));
  fanOut.close();
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(done === servers && deadLetters === 0 ? 0 : 1);
}

async function startInstance(env: Record<string, string>, sessions: number): Promise<Instance> {
  const child = fork(resolve(__dirname, 'benchInstance.js'), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: InstanceReport[] = [];
  const waiting: ((r: InstanceReport) => void)[] = [];
  child.on('message', (m: InstanceReport) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w({ type: 'error', message: `instance exited (${code ?? 'signal'})` });
  });
  const next = () => new Promise<InstanceReport>((r) => (inbox.length > 0 ? r(inbox.shift() as InstanceReport) : waiting.push(r)));
  child.send({ type: 'start', sessions } satisfies InstanceCommand);
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`instance did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
  return { child, webhookUrl: ready.webhookUrl, dir: env['LOCAL_QUEUE_DIR'] ?? '', next };
}

/** An HTTP endpoint that forwards each Event Grid delivery to every instance and answers once all have. */
function eventFanOut(targets: readonly string[]): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && (k === 'content-type' || k.startsWith('aeg-'))) headers[k] = v;
      const body = Buffer.concat(chunks);
      void Promise.all(targets.map((url) => fetch(url, { method: 'POST', headers, body }).then((r) => r.status))).then(
        (statuses) => res.writeHead(statuses.every((s) => s < 300) ? 200 : 500).end(),
        () => res.writeHead(502).end(),
      );
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
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
