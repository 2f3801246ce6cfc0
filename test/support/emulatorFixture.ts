/**
 * One emulator for the tests of a `describe` block (or a file), and the real SDK clients the adapter tests build
 * on it.
 *
 * Usage:
 * ```ts
 * describe('Class: ArmSqlServerKeys', () => {
 *   const emulator = useTestEmulator();             // started before all, faults cleared after each, stopped after all
 *   it('...', async () => {
 *     emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.serverKeys.get', times: 1 });
 *     const keys = new ArmSqlServerKeys(noRetrySqlClients());
 *     ...
 *   });
 * });
 * ```
 * One emulator per file is also what the SDK needs: its managed-identity client remembers the first identity
 * endpoint it used, so tests run in order on one emulator and each says what state it starts from.
 */
import { SqlManagementClient } from '@azure/arm-sql';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SqlClientFactory, type ArmPacing } from '../../src/azure/sqlClientFactory.js';
import { startTestEmulator, TEST_SUBSCRIPTION_ID } from './emulator.js';

/** What startTestEmulator returns (the emulator package's RunningEmulator). */
export type TestEmulator = Awaited<ReturnType<typeof startTestEmulator>>;
type EmulatorOverrides = NonNullable<Parameters<typeof startTestEmulator>[0]>;

/**
 * Registers the hooks that start the test emulator (with `overrides`, or what the function returns when the hooks
 * run) before all tests, clear its injected faults after each and stop it after all. Returns a stand-in that
 * forwards to the running emulator: use it inside tests and hooks, not at collection time.
 */
export function useTestEmulator(overrides: EmulatorOverrides | (() => EmulatorOverrides) = {}): TestEmulator {
  let running: TestEmulator | undefined;
  beforeAll(async () => {
    running = await startTestEmulator(typeof overrides === 'function' ? overrides() : overrides);
  });
  afterEach(() => {
    running?.faults.clear();
  });
  afterAll(async () => {
    await running?.stop();
    running = undefined;
  });
  return new Proxy({} as TestEmulator, {
    get(_target, property) {
      if (running === undefined) throw new Error(`the test emulator is not running (read emulator.${String(property)} inside a test or hook)`);
      const value: unknown = Reflect.get(running, property, running);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(running) : value;
    },
  });
}

/**
 * The real @azure/arm-sql clients (through the app's factory and DefaultAzureCredential, which finds the emulated
 * managed identity, unless another credential is given) with the SDK's own retries off: the tests that use it are about how each answer is translated
 * and what reaches the use case, not about the SDK's retries.
 */
export function noRetrySqlClients(credential: TokenCredential = new DefaultAzureCredential(), pacing?: ArmPacing): SqlClientFactory {
  return new SqlClientFactory(credential, { retryOptions: { maxRetries: 0 } }, pacing);
}

/** The plain @azure/arm-sql client for the test subscription, as an operator's script would build it. */
export function testSqlManagementClient(): SqlManagementClient {
  return new SqlManagementClient(new DefaultAzureCredential(), TEST_SUBSCRIPTION_ID);
}
