/**
 * Composition root: loads the configuration once, builds one credential and the Azure clients once per
 * process, and hands the use cases their ports. Functions call getServices(); nothing else builds clients.
 */
import type { AppConfig } from './config/appConfig.js';
import type {
  Clock,
  FailureSink,
  KeyReader,
  SecretStore,
  ServerDirectory,
  SqlServerKeys,
  SyncAgents,
  WorkQueue,
} from './app/ports.js';

export interface Services {
  readonly config: AppConfig;
  readonly keys: KeyReader;
  readonly sql: SqlServerKeys;
  readonly servers: ServerDirectory;
  readonly syncAgents: SyncAgents;
  readonly secrets: SecretStore;
  readonly queue: WorkQueue;
  readonly failures: FailureSink;
  readonly clock: Clock;
  readonly random: () => number;
}

/** What a host may supply instead of the defaults (the local host supplies its durable queue). */
export type ServiceOverrides = Partial<Pick<Services, 'queue' | 'failures' | 'clock' | 'random'>>;

let overrides: ServiceOverrides = {};
let services: Services | undefined;

/** Installs overrides; must be called before the first getServices(). */
export function configureServices(o: ServiceOverrides): void {
  overrides = { ...overrides, ...o };
  services = undefined;
}

/** Forgets the built services and overrides (tests, config reload). */
export function resetServices(): void {
  overrides = {};
  services = undefined;
}

export function getServices(): Services {
  services ??= buildServices(process.env, overrides);
  return services;
}

// Filled in by the adapters commit.
declare function buildServices(env: NodeJS.ProcessEnv, o: ServiceOverrides): Services;
