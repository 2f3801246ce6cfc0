/**
 * Composition root, as a value: `createServices(config, overrides)` builds one credential and the Azure clients
 * for one process, and hands the use cases their ports. Each entry point builds it once and passes it on:
 * the Functions registration (src/functionsHost/processServices.ts, from the app settings), the local host, the CLI, the
 * benchmarks and the tests. Nothing here reads process.env, and nothing is global.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import { CachedKeyReader } from './app/cachedKeyReader.js';
import { discoverTargets } from './app/discoverTargets.js';
import { KeyedLock } from './app/keyedLock.js';
import type { ListTargetsDeps } from './app/listTargets.js';
import { LogMetrics, type Metrics } from './app/metrics.js';
import { NO_NOTIFIER } from './app/noNotifier.js';
import { NotifyingFailureSink } from './app/notifyingFailureSink.js';
import type { Notifier } from './app/ports.js';
import type { PlanDeps } from './app/planRotation.js';
import type { WorkItemHandlers } from './app/processWorkItem.js';
import type { ReconcileKeysDeps } from './app/reconcileKeys.js';
import { reconcileTarget, type ReconcileDeps } from './app/reconcileTarget.js';
import type { RetryDeps } from './app/retryOrDeadLetter.js';
import { processSyncAgentItem, type SyncAgentDeps } from './app/rotateSyncAgentKeys.js';
import { ArmDatabaseKeys } from './azure/armDatabaseKeys.js';
import { ArmManagedInstanceKeys, managedInstancePollSchedule } from './azure/armManagedInstanceKeys.js';
import { ArmSqlServerKeys } from './azure/armSqlServerKeys.js';
import { ArmTargetKeys } from './azure/armTargetKeys.js';
import { ArmSyncAgents } from './azure/armSyncAgents.js';
import { MAX_INLINE_WAIT_MS, shortRetryOptions } from './azure/shortRetryOptions.js';
import { KeyVaultKeyReader } from './azure/keyVaultKeyReader.js';
import { KeyVaultSecretStore } from './azure/keyVaultSecretStore.js';
import { ServiceBusFailureSink, ServiceBusWorkQueue } from './azure/serviceBusWorkQueue.js';
import { armCloudOptions, SqlClientFactory } from './azure/sqlClientFactory.js';
import { WebhookNotifier } from './azure/webhookNotifier.js';
import type { AppConfig } from './config/appConfig.js';
import { SERVICE_BUS_NAMESPACE_SETTING } from './config/settings.js';
import { ConfigError } from './domain/errors.js';
import { ArmBudget } from './domain/armBudget.js';
import { PollSchedule } from './domain/pollSchedule.js';
import type {
  Clock,
  FailureSink,
  KeyReader,
  Logger,
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
  /** One holder per target at a time within this process (Service Bus sessions do it across instances). */
  readonly locks: KeyedLock;
}

/** What an entry point may supply instead of the defaults (a host's queue, a test's clock or fakes). */
export type ServiceOverrides = Partial<Omit<Services, 'config' | 'locks'>> & {
  /** Default: DefaultAzureCredential (managed identity in Azure, developer sign-in locally) of the config's cloud. */
  readonly credential?: TokenCredential;
  /** When to poll long-running ARM operations (default: learned, starting from the recorded 10 s). */
  readonly pollSchedule?: PollSchedule;
};

const systemClock: Clock = { now: () => new Date() };

/** Builds the services of one process. Throws ConfigError when a Service Bus namespace is needed and missing. */
export function createServices(config: AppConfig, o: ServiceOverrides = {}): Services {
  const credential = o.credential ?? new DefaultAzureCredential({ authorityHost: config.cloud.authorityHost });
  const clock = o.clock ?? systemClock;
  // One ARM budget per process for reads and writes, per subscription, corrected by ARM's own headers (which
  // every instance sees alike), shared by every ARM client.
  const sqlClients = new SqlClientFactory(credential, armCloudOptions(config.cloud), { budget: new ArmBudget(), maxInlineWaitMs: MAX_INLINE_WAIT_MS });
  // Every kind of TDE target behind one port: servers and databases share the learned schedule, managed
  // instances (minutes per operation) keep their own unless the entry point gives one schedule for all.
  const schedule = o.pollSchedule ?? new PollSchedule();
  const arm =
    o.sql === undefined || o.servers === undefined
      ? new ArmTargetKeys({
          // The reconciler's look after its own switch is answered from the write ARM just confirmed (2 reads less).
          servers: new ArmSqlServerKeys(sqlClients, { pollSchedule: schedule, rememberWritesMs: 60_000 }),
          managedInstances: new ArmManagedInstanceKeys(sqlClients, { pollSchedule: o.pollSchedule ?? managedInstancePollSchedule() }),
          databases: new ArmDatabaseKeys(sqlClients, { pollSchedule: schedule }),
        })
      : undefined;
  const { queue, failures } = queues(config, clock, credential, o);
  return {
    config,
    keys: o.keys ?? new CachedKeyReader(new KeyVaultKeyReader(credential), clock),
    sql: o.sql ?? (arm as ArmTargetKeys),
    servers: o.servers ?? (arm as ArmTargetKeys),
    syncAgents: o.syncAgents ?? new ArmSyncAgents(sqlClients),
    secrets: o.secrets ?? new KeyVaultSecretStore(credential, { additionalPolicies: shortRetryOptions().additionalPolicies }),
    queue,
    failures,
    clock,
    random: o.random ?? Math.random,
    locks: new KeyedLock(),
  };
}

function queues(config: AppConfig, clock: Clock, credential: TokenCredential, o: ServiceOverrides): Pick<Services, 'queue' | 'failures'> {
  if (o.queue && o.failures) return { queue: o.queue, failures: o.failures };
  if (!config.serviceBus) {
    throw new ConfigError([
      {
        path: SERVICE_BUS_NAMESPACE_SETTING,
        message: 'is required: the backoff queue needs a Service Bus namespace (e.g. contoso.servicebus.windows.net)',
      },
    ]);
  }
  const client = new ServiceBusClient(config.serviceBus.fullyQualifiedNamespace, credential);
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
function failureSink(s: Services, logger: Logger, notifier: Notifier): FailureSink {
  return s.config.notifications ? new NotifyingFailureSink(s.failures, notifier, s.clock, logger) : s.failures;
}

/** What every use case needs to retry or dead-letter, with this invocation's logger. */
function retryDeps(s: Services, logger: Logger, notifier: Notifier): RetryDeps {
  return { queue: s.queue, failures: failureSink(s, logger, notifier), clock: s.clock, random: s.random, policy: s.config.retry, logger };
}

/** The dependencies of the reconciler (and of discovery), with this invocation's logger. */
export function reconcileDeps(s: Services, logger: Logger): ReconcileDeps & ListTargetsDeps {
  const { notifier } = observers(s, logger);
  return { ...retryDeps(s, logger, notifier), keys: s.keys, sql: s.sql, servers: s.servers, config: s.config, locks: s.locks, notifier };
}

/** Read-only dependencies of plan and status. */
export function planDeps(s: Services, logger: Logger): PlanDeps {
  return { keys: s.keys, sql: s.sql, servers: s.servers, logger, config: s.config, clock: s.clock };
}

/** The dependencies of the reconcile sweep (timer, admin endpoint, CLI). */
export function reconcileKeysDeps(s: Services, logger: Logger): ReconcileKeysDeps {
  return { ...planDeps(s, logger), queue: s.queue, notifier: observers(s, logger).notifier };
}

/** The dependencies of the sync-agent use cases, with this invocation's logger. */
export function syncAgentDeps(s: Services, logger: Logger): SyncAgentDeps {
  return { ...retryDeps(s, logger, observers(s, logger).notifier), syncAgents: s.syncAgents, secrets: s.secrets, servers: s.servers, config: s.config };
}

/** What the queue worker runs per kind of work item. */
export function workItemHandlers(s: Services, logger: Logger): WorkItemHandlers {
  const reconcile = reconcileDeps(s, logger);
  const agents = syncAgentDeps(s, logger);
  return {
    reconcile: (item) => reconcileTarget(reconcile, item),
    discover: (item) => discoverTargets(reconcile, item),
    syncAgentKey: (item) => processSyncAgentItem(agents, item),
  };
}
