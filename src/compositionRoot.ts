/**
 * Composition root: loads the configuration once, builds one credential and the Azure clients once per
 * process, and hands the use cases their ports. Functions call getServices(); nothing else builds clients.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import { CachedKeyReader } from './app/cachedKeyReader.js';
import type { WorkItemHandlers } from './app/processWorkItem.js';
import { serverKeyHandler } from './app/processWorkItem.js';
import type { RetryDeps } from './app/retryOrDeadLetter.js';
import type { RotateDeps } from './app/rotateServerKeys.js';
import { processSyncAgentItem, type SyncAgentDeps } from './app/rotateSyncAgentKeys.js';
import { ArmSqlServerKeys } from './azure/armSqlServerKeys.js';
import { ArmSyncAgents } from './azure/armSyncAgents.js';
import { KeyVaultKeyReader } from './azure/keyVaultKeyReader.js';
import { KeyVaultSecretStore } from './azure/keyVaultSecretStore.js';
import { ServiceBusFailureSink, ServiceBusWorkQueue } from './azure/serviceBusWorkQueue.js';
import { SqlClientFactory } from './azure/sqlClientFactory.js';
import { MAX_INLINE_WAIT_MS, shortRetryOptions } from './azure/clientOptions.js';
import type { AppConfig } from './config/appConfig.js';
import { SERVICE_BUS_CONNECTION } from './config/appConfig.js';
import { loadConfig } from './config/loadConfig.js';
import { LogMetrics, type Metrics } from './app/metrics.js';
import { NO_NOTIFIER, NotifyingFailureSink, type Notifier } from './app/notifier.js';
import { WebhookNotifier } from './azure/webhookNotifier.js';
import { ConfigError } from './domain/errors.js';
import { ARM_WRITE_BUCKET, WriteBudget } from './domain/writeBudget.js';
import type {
  Logger,
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

const systemClock: Clock = { now: () => new Date() };

function buildServices(env: NodeJS.ProcessEnv, o: ServiceOverrides): Services {
  const config = loadConfig(env);
  // Managed identity in Azure (AZURE_CLIENT_ID selects the user-assigned one); developer sign-in locally.
  const credential = new DefaultAzureCredential();
  const clock = o.clock ?? systemClock;
  // One write budget per process, shared by every ARM client (ARM counts writes per subscription).
  const sqlClients = new SqlClientFactory(credential, {}, {
    budget: new WriteBudget(ARM_WRITE_BUCKET),
    maxInlineWaitMs: MAX_INLINE_WAIT_MS,
  });
  const arm = new ArmSqlServerKeys(sqlClients);
  const { queue, failures } = queues(config, clock, o);
  return {
    config,
    keys: new CachedKeyReader(new KeyVaultKeyReader(credential), clock),
    sql: arm,
    servers: arm,
    syncAgents: new ArmSyncAgents(sqlClients),
    secrets: new KeyVaultSecretStore(credential, { additionalPolicies: shortRetryOptions().additionalPolicies }),
    queue,
    failures,
    clock,
    random: o.random ?? Math.random,
  };
}

function queues(config: AppConfig, clock: Clock, o: ServiceOverrides): Pick<Services, 'queue' | 'failures'> {
  if (o.queue && o.failures) return { queue: o.queue, failures: o.failures };
  if (!config.serviceBus) {
    throw new ConfigError([
      {
        path: `${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`,
        message: 'is required: the backoff queue needs a Service Bus namespace (e.g. contoso.servicebus.windows.net)',
      },
    ]);
  }
  const client = new ServiceBusClient(config.serviceBus.fullyQualifiedNamespace, new DefaultAzureCredential());
  return {
    queue: o.queue ?? new ServiceBusWorkQueue(client.createSender(config.serviceBus.queueName), clock),
    failures: o.failures ?? new ServiceBusFailureSink(client.createSender(config.serviceBus.failureQueueName), clock),
  };
}

/** Where outcomes are reported besides the log: the optional webhook and the metric lines. */
export interface Observers {
  readonly notifier: Notifier;
  readonly metrics: Metrics;
}

/** The observers of one invocation (they log through its logger). */
export function observers(s: Services, logger: Logger): Observers {
  return {
    notifier: s.config.notifications ? new WebhookNotifier(s.config.notifications, logger) : NO_NOTIFIER,
    metrics: new LogMetrics(logger),
  };
}

/** Dead-letters also notify, when a webhook is configured. */
function failureSink(s: Services, logger: Logger): Services['failures'] {
  return s.config.notifications
    ? new NotifyingFailureSink(s.failures, observers(s, logger).notifier, s.clock, logger)
    : s.failures;
}

/** What every use case needs to retry or dead-letter, with this invocation's logger. */
function retryDeps(s: Services, logger: Logger): RetryDeps {
  return {
    queue: s.queue,
    failures: failureSink(s, logger),
    clock: s.clock,
    random: s.random,
    policy: s.config.retry,
    logger,
  };
}

/** The dependencies of the server-key use cases, with this invocation's logger. */
export function rotateDeps(s: Services, logger: Logger): RotateDeps {
  return { ...retryDeps(s, logger), keys: s.keys, sql: s.sql, servers: s.servers, config: s.config };
}

/** The dependencies of the sync-agent use cases, with this invocation's logger. */
export function syncAgentDeps(s: Services, logger: Logger): SyncAgentDeps {
  return { ...retryDeps(s, logger), syncAgents: s.syncAgents, secrets: s.secrets, servers: s.servers, config: s.config };
}

/** What the queue worker runs per kind of work item. */
export function workItemHandlers(s: Services, logger: Logger): WorkItemHandlers {
  const agents = syncAgentDeps(s, logger);
  return { serverKey: serverKeyHandler(rotateDeps(s, logger)), syncAgentKey: (item) => processSyncAgentItem(agents, item) };
}
