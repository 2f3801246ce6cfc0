/**
 * Shared setup of the function tests: an emulator for the file, fresh services per test (createServices with the
 * given ROTATION_CONFIG, an in-memory queue and failure sink), and an InvocationContext that captures log lines.
 * Handlers are made from `env.services` (makeX(() => env.services)): no process.env rewriting for the config.
 */
import { InvocationContext, type TriggerMetadata } from '@azure/functions';
import { beforeEach } from 'vitest';
import { createServices, type ServiceOverrides, type Services } from '../../src/compositionRoot.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import type { EmulatorOptions, RunningEmulator } from '@sql-key-rotation/local-azure';
import { useTestEmulator } from './emulatorFixture.js';
import { fastPolls } from './fastPolls.js';
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
  /** This test's services (built on first use, with `overrides` applied). */
  readonly services: Services;
  /** Overrides for the services of the current test (set before first use of `services`). */
  overrides: ServiceOverrides;
}

/** Registers the hooks (the emulator's through useTestEmulator); read the returned object's fields inside tests (they change per test). */
export function useFunctionTestEnv(rotationConfig: unknown, emulatorOptions: Partial<EmulatorOptions> = {}): FunctionTestEnv {
  let built: Services | undefined;
  const env = {
    overrides: {},
    get services(): Services {
      built ??= createServices(loadConfig({ ROTATION_CONFIG: JSON.stringify(rotationConfig) }), {
        queue: env.queue,
        failures: env.failures,
        pollSchedule: fastPolls(),
        ...env.overrides,
      });
      return built;
    },
  } as FunctionTestEnv & { emulator: RunningEmulator; queue: FakeWorkQueue; failures: FakeFailureSink };
  env.emulator = useTestEmulator(emulatorOptions);
  beforeEach(() => {
    built = undefined;
    env.overrides = {};
    env.queue = new FakeWorkQueue();
    env.failures = new FakeFailureSink();
  });
  return env;
}
