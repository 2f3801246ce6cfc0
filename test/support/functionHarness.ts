/**
 * Shared setup of the function tests: an emulator for the file, a fresh composition root per test with the given
 * ROTATION_CONFIG and in-memory queue and failure sink, and an InvocationContext that captures log lines.
 */
import { InvocationContext, type TriggerMetadata } from '@azure/functions';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { configureServices, resetServices } from '../../src/compositionRoot.js';
import type { RunningEmulator } from '../../src/local/emulator/index.js';
import { startTestEmulator } from './emulator.js';
import { FakeFailureSink } from './fakes/fakeFailureSink.js';
import { FakeWorkQueue } from './fakes/fakeWorkQueue.js';

/** An InvocationContext whose log lines (`{level} {message}`) land in `lines`. */
export function capturingContext(functionName: string, lines: string[], triggerMetadata?: TriggerMetadata): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: `${functionName}-test-invocation`,
    ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
    logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
  });
}

export interface FunctionTestEnv {
  readonly emulator: RunningEmulator;
  readonly queue: FakeWorkQueue;
  readonly failures: FakeFailureSink;
}

/** Registers the hooks; read the returned object's fields inside tests (they change per test). */
export function useFunctionTestEnv(rotationConfig: unknown): FunctionTestEnv {
  const env = {} as { emulator: RunningEmulator; queue: FakeWorkQueue; failures: FakeFailureSink };
  const saved = process.env['ROTATION_CONFIG'];
  beforeAll(async () => {
    env.emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await env.emulator.stop();
    if (saved === undefined) delete process.env['ROTATION_CONFIG'];
    else process.env['ROTATION_CONFIG'] = saved;
  });
  beforeEach(() => {
    process.env['ROTATION_CONFIG'] = JSON.stringify(rotationConfig);
    resetServices();
    env.queue = new FakeWorkQueue();
    env.failures = new FakeFailureSink();
    configureServices({ queue: env.queue, failures: env.failures });
  });
  afterEach(() => {
    env.emulator.faults.clear();
  });
  return env;
}
