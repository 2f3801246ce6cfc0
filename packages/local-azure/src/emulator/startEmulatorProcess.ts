/**
 * The emulator in a process of its own, controlled over Node's IPC channel. Azure is another machine; running
 * its stand-in beside the app in one event loop makes the app pay for both sides of every TLS handshake of the
 * intercepting proxy. The benchmark uses this so the figures measure the app, not the emulator.
 *
 * Parent: `const emu = await startEmulatorProcess(options)` -> env, rotateKey, setEventWebhook, stats, stop.
 * Child: this file, run with `fork()`; it receives `{ type: 'start', options }` and answers requests by id.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Estate } from '../estate/estate.js';
import type { EventWebhook } from './keyEventPublisher.js';
import type { EmulatorOptions, RunningEmulator } from './startEmulator.js';
import type { FaultSpec } from './faultInjector.js';

/** Options that can cross a process boundary (no functions). */
export type EmulatorProcessOptions = Omit<EmulatorOptions, 'clock' | 'log' | 'estate'> & { readonly estate: Estate };

export interface EmulatorProcessStats {
  readonly requests: number;
  readonly writes: number;
  readonly reads: number;
  readonly throttled: number;
  readonly throttledWrites: number;
  readonly throttledReads: number;
  /** Servers whose protector is on the given server key name (when asked). */
  readonly serversOnKey?: number;
  readonly maxRssMb: number;
}

export interface EmulatorProcess {
  env(): Record<string, string>;
  rotateKey(vaultName: string, keyName: string): Promise<string>;
  setEventWebhook(w: EventWebhook | undefined): Promise<void>;
  injectFault(f: Omit<FaultSpec, 'url'>): Promise<void>;
  stats(serverKeyName?: string): Promise<EmulatorProcessStats>;
  /** Every server's ARM id. */
  serverIds(): Promise<string[]>;
  stop(): Promise<void>;
}

type Request =
  | { id: number; type: 'start'; options: EmulatorProcessOptions }
  | { id: number; type: 'rotateKey'; vault: string; key: string }
  | { id: number; type: 'setEventWebhook'; webhook?: EventWebhook }
  | { id: number; type: 'injectFault'; fault: Omit<FaultSpec, 'url'> }
  | { id: number; type: 'stats'; serverKeyName?: string }
  | { id: number; type: 'serverIds' }
  | { id: number; type: 'stop' };

/** Omit over each member of a union (the built-in Omit would merge the members). */
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(__filename, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.error));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`emulator process exited (${code ?? 'signal'})`));
    pending.clear();
  });
  const call = <T>(req: RequestBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...req, id });
    });
  const env = await call<Record<string, string>>({ type: 'start', options });
  return {
    env: () => ({ ...env }),
    rotateKey: (vault, key) => call<string>({ type: 'rotateKey', vault, key }),
    setEventWebhook: (webhook) => call<void>({ type: 'setEventWebhook', ...(webhook ? { webhook } : {}) }),
    injectFault: (fault) => call<void>({ type: 'injectFault', fault }),
    stats: (serverKeyName) => call<EmulatorProcessStats>({ type: 'stats', ...(serverKeyName ? { serverKeyName } : {}) }),
    serverIds: () => call<string[]>({ type: 'serverIds' }),
    async stop() {
      await call<void>({ type: 'stop' }).catch(() => undefined);
      child.disconnect();
    },
  };
}

/** Child side: one emulator, driven by the parent's requests. */
function serve(): void {
  let emulator: RunningEmulator | undefined;
  const handle = async (req: Request): Promise<unknown> => {
    if (req.type === 'start') {
      // Loaded here, in the child only: the parent (the app under measurement) must not carry mockttp.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startEmulator } = require('./startEmulator.js') as typeof import('./startEmulator.js');
      emulator = await startEmulator(req.options);
      return emulator.env();
    }
    if (!emulator) throw new Error('emulator not started');
    switch (req.type) {
      case 'rotateKey':
        return emulator.rotateKey(req.vault, req.key);
      case 'setEventWebhook':
        emulator.setEventWebhook(req.webhook);
        return undefined;
      case 'injectFault':
        emulator.faults.inject(req.fault);
        return undefined;
      case 'stats': {
        const name = req.serverKeyName?.toLowerCase();
        const serversOnKey =
          name === undefined
            ? undefined
            : [...emulator.state.allServers()].filter((s) => s.protector.serverKeyName.toLowerCase() === name).length;
        return {
          requests: emulator.stats.requests,
          writes: emulator.stats.writes,
          reads: emulator.stats.reads,
          throttled: emulator.stats.throttled,
          throttledWrites: emulator.stats.throttledWrites,
          throttledReads: emulator.stats.throttledReads,
          ...(serversOnKey === undefined ? {} : { serversOnKey }),
          maxRssMb: process.resourceUsage().maxRSS / 1024,
        } satisfies EmulatorProcessStats;
      }
      case 'serverIds':
        return [...emulator.state.allServers()].map((s) => s.id);
      case 'stop':
        await emulator.stop();
        setImmediate(() => process.exit(0));
        return undefined;
    }
  };
  process.on('message', (req: Request) => {
    handle(req).then(
      (value) => process.send?.({ id: req.id, ok: true, value } satisfies Reply),
      (e: unknown) => process.send?.({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) serve();
