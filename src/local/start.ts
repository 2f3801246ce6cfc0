/**
 * What `npm start` runs (`node dist/src/local/start.js`). The first line printed says which mode it is in:
 * - without ROTATION_CONFIG, the DEMO (demo/startDemo.ts): the local Azure emulator with the demo estate, the
 *   local Functions host wired to it, one key rotation watched end to end; then it serves until Ctrl-C;
 * - with ROTATION_CONFIG, the local host only, against the real Azure endpoints (startAzureHost.ts).
 * The heavy modules (Azure SDK, mockttp) load lazily, so the first line appears at once.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROTATION_CONFIG_SETTING } from '../config/settings.js';
import { findProjectRoot } from './host/findProjectRoot.js';

/** Set in the environment of the re-run child (see main) so that it does not print the mode line twice. */
const RERUN_MARKER = 'SQL_TDE_LOCAL_START_CHILD';

/**
 * Entry point of `npm start`. In demo mode the process must trust the emulator's CA from its start: when
 * NODE_EXTRA_CA_CERTS does not name it yet, the CA is created and this script runs again as a child with it set.
 */
export async function main(): Promise<void> {
  const azure = (process.env[ROTATION_CONFIG_SETTING] ?? '').trim() !== '';
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
    if (!existsSync(certPath)) certPath = (await (await import('@sql-key-rotation/local-azure')).ensureLocalCa(caDir)).certPath;
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
      const { startAzureHost } = await import('./startAzureHost.js');
      const host = await startAzureHost();
      stop = () => host.stop();
      url = host.url;
    } else {
      const { startDemo } = await import('./demo/startDemo.js');
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

if (typeof require !== 'undefined' && require.main === module) void main();
