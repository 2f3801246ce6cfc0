/**
 * Runs the CLI in-process against the test emulator: ROTATION_CONFIG from a test estate, captured stdout and
 * stderr, and a fake clock whose sleep only moves time (retries fall due at once, no real waiting).
 */
import { vi } from 'vitest';
import { runCli, type CliRuntime } from '../../src/cli/runCli.js';
import { createServices } from '../../src/compositionRoot.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { fastPolls } from '../support/fastPolls.js';
import type { Clock } from '../../src/app/ports.js';
import type { DriftReport } from '../../src/app/driftReport.js';
import type { KeyPlan } from '../../src/app/planRotation.js';
import type { KeyRotationResult } from '../../src/cli/commands/rotateCommand.js';
import type { AgentStatus } from '../../src/cli/commands/syncAgentsCommand.js';
import type { Outcome } from '../../src/domain/outcome.js';

/** The documented `--json` outputs. */
export interface PlanJson {
  readonly command: 'plan';
  readonly keys: KeyPlan[];
}
export interface RotateJson {
  readonly command: 'rotate' | 'reconcile';
  readonly runId: string;
  readonly keys: KeyRotationResult[];
}
export type StatusJson = DriftReport & { readonly command: 'status'; readonly exitCode: number };
export interface SyncStatusJson {
  readonly command: 'sync-agents status';
  readonly agents: AgentStatus[];
}
export interface SyncRotateJson {
  readonly command: 'sync-agents rotate';
  readonly runId: string;
  readonly outcomes: Outcome[];
}
import {
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_SYNC_VAULT_URL,
  TEST_TDE_VAULT_URL,
} from '../support/emulator.js';

export const TDE_KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;
export const serverId = (name: string, rg = TEST_RESOURCE_GROUP): string =>
  `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/Microsoft.Sql/servers/${name}`;
export const PRIMARY = serverId('sql-primary');
export const SECONDARY = serverId('sql-secondary');
export const PLAIN = serverId('sql-plain');
export const AGENT_1 = `${PRIMARY}/syncAgents/agent-1`;

/** The test estate's configuration: the geo pair (switch protector), and sql-plain found by discovery. */
export function testRotationConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    keys: {
      [TDE_KEY]: {
        servers: [
          { id: PRIMARY, switchProtector: true },
          { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY },
        ],
        discovery: { scopes: [`/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}`], switchProtector: false },
      },
    },
    syncAgents: { vaultUrl: TEST_SYNC_VAULT_URL, agents: [{ id: AGENT_1, secretName: 'agent-1-key' }] },
    ...extra,
  };
}

/** A clock that stands still until the CLI sleeps. */
export class SteppingClock implements Clock {
  #now = Date.now();
  readonly sleeps: number[] = [];
  now(): Date {
    return new Date(this.#now);
  }
  sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.#now += ms;
    return Promise.resolve();
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON, typed as the command's documented output. */
  json<T = unknown>(): T;
}

export interface RunOptions {
  readonly config?: Record<string, unknown>;
  readonly tty?: boolean;
  readonly runtime?: CliRuntime;
}

/** Runs one command line with ROTATION_CONFIG set (fresh composition root each time). */
export async function cli(argv: readonly string[], o: RunOptions = {}): Promise<CliRun> {
  vi.stubEnv('ROTATION_CONFIG', JSON.stringify(o.config ?? testRotationConfig()));
  let stdout = '';
  let stderr = '';
  const clock = new SteppingClock();
  try {
    const code = await runCli(
      argv,
      {
        stdout: { write: (s: string) => (stdout += s), isTTY: o.tty ?? false },
        stderr: { write: (s: string) => (stderr += s), isTTY: o.tty ?? false },
      },
      {
        clock,
        sleep: clock.sleep,
        random: () => 0.5,
        services: (overrides) => createServices(loadConfig(process.env), { pollSchedule: fastPolls(), ...overrides }),
        ...o.runtime,
      },
    );
    return { code, stdout, stderr, json: <T,>() => JSON.parse(stdout) as T };
  } finally {
    vi.unstubAllEnvs();
  }
}
