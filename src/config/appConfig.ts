/**
 * The validated, frozen configuration of the app. Produced once by loadConfig(env) (src/config/loadConfig.ts)
 * from the app settings; nothing else in the code reads process.env for product settings.
 *
 * ROTATION_CONFIG (inline JSON, recognised by a leading `{`, or a path to a JSON file) has this shape. Every
 * section is optional; unknown properties are errors (a typo must not pass silently). loadConfig reports every
 * problem at once with its path, e.g. `ROTATION_CONFIG.keys["https://..."].servers[1].geoPrimary`.
 * {
 *   "keys": {                                                      // default {}
 *     "https://contoso-tde.vault.azure.net/keys/tde": {            // VERSIONLESS key URI (Key Vault or Managed HSM)
 *       "servers": [                                               // full ARM ids of the targets, no duplicates: logical
 *                                                                  // servers, managed instances (.../managedInstances/{mi})
 *                                                                  // and databases with their own key (.../servers/{s}/databases/{db})
 *         { "id": "/subscriptions/../providers/Microsoft.Sql/servers/sql-a", "switchProtector": true },
 *         { "id": "/subscriptions/../providers/Microsoft.Sql/servers/sql-b", "switchProtector": true,
 *           "geoPrimary": "/subscriptions/../providers/Microsoft.Sql/servers/sql-a" }   // sql-b is a geo secondary of sql-a
 *       ],                                                         // switchProtector defaults to false (only add the key)
 *                                                                  // geoPrimary must be in the same list, of the same kind,
 *                                                                  // and not itself a secondary
 *       "discovery": { "scopes": ["/subscriptions/.."], "switchProtector": false }   // scopes: subscription or resource group ids
 *     }                                                            // each key needs servers, discovery or both
 *   },
 *   "syncAgents": {
 *     "vaultUrl": "https://contoso-sync.vault.azure.net",           // default vault for agent secrets (Key Vault, not HSM);
 *                                                                  // required for discovery and for agents without their own
 *     "agents": [ { "id": "/subscriptions/../servers/sql-a/syncAgents/agent1", "vaultUrl": "optional", "secretName": "optional",
 *                   "requireOnline": "optional boolean" } ],
 *                                                                  // secretName defaults to syncagent-{server}-{agent};
 *                                                                  // two agents may not share vault + secret name
 *     "discovery": { "servers": ["/subscriptions/../servers/sql-a"], "scopes": ["/subscriptions/.."] },
 *     "minIntervalHours": 24, "secretExpiryDays": 90,              // defaults: 24, no expiry
 *     "handoffWindowMinutes": 30,                                  // agent not alive this long after a rotation: alarm
 *     "requireOnline": false                                       // true: skip agents that are offline or never
 *                                                                  // picked up the previous key (also per agent)
 *   },
 *   "retry": { "baseSeconds": 2, "capSeconds": 300, "maxAttempts": 10, "orderDelaySeconds": 30, "orderMaxAttempts": 40 },
 *                                                                  // positive integers, cap >= base; defaults shown (DEFAULT_RETRY_POLICY)
 *   "fanOut": { "inlineLimit": 10, "concurrency": 8 },              // defaults shown; inlineLimit 0 = always queue
 *   "notifications": { "webhookUrl": "https://..", "format": "generic" }   // https (http only for localhost);
 *                                                                  // format generic | teams | slack, default generic
 * }
 *
 * Other settings: `ServiceBusConnection__fullyQualifiedNamespace` ({ns}.servicebus.windows.net, .chinacloudapi.cn or
 * .usgovcloudapi.net; absent = embedded local queue; a connection string in `ServiceBusConnection` is refused:
 * managed identity only), `ROTATION_QUEUE_NAME`, `ROTATION_FAILURE_QUEUE_NAME` (names and defaults: settings.ts), `AZURE_CLOUD`
 * (`AzureCloud` | `AzureChinaCloud` | `AzureUSGovernment`, default AzureCloud: see src/domain/azureCloud.ts).
 */
import type { AzureCloud } from '../domain/azureCloud.js';
import type { KeyId } from '../domain/keyId.js';
import type { RetryPolicy } from '../domain/retryPolicy.js';

export interface ServerTarget {
  /** Full ARM id of the target: logical server, managed instance or database (normalised, validated). */
  readonly id: string;
  /** Switch the TDE protector to the new key (true), or only add the server key (false). */
  readonly switchProtector: boolean;
  /** When this server is a geo secondary: the id of its primary. */
  readonly geoPrimary?: string;
}

export interface KeyDiscovery {
  /** `/subscriptions/{id}` or `/subscriptions/{id}/resourceGroups/{rg}`. */
  readonly scopes: readonly string[];
  readonly switchProtector: boolean;
}

export interface KeyTarget {
  /** The versionless key id this entry is for. */
  readonly key: KeyId;
  readonly servers: readonly ServerTarget[];
  readonly discovery?: KeyDiscovery;
}

export interface SyncAgentTarget {
  /** Full ARM id of the sync agent. */
  readonly id: string;
  readonly vaultUrl: string;
  /** Valid per ^[0-9a-zA-Z-]{1,127}$; derived `syncagent-{server}-{agent}` unless given. */
  readonly secretName: string;
  /**
   * Skip the rotation while the agent is not Online, or has not been alive since the previous rotation (its
   * host never submitted that key): rotating again would only deepen the outage. Default: the section's.
   */
  readonly requireOnline?: boolean;
}

export interface SyncAgentConfig {
  readonly agents: readonly SyncAgentTarget[];
  /** Default vault for discovered agents and agents without their own vaultUrl. */
  readonly vaultUrl?: string;
  readonly discovery?: { readonly servers: readonly string[]; readonly scopes: readonly string[] };
  /** An agent whose secret is younger than this is skipped. */
  readonly minIntervalMs: number;
  /** Expiry set on each stored secret, if any. */
  readonly secretExpiryMs?: number;
  /** Default of `requireOnline` for configured agents without their own, and for discovered agents (false). */
  readonly requireOnline?: boolean;
  /** An agent not alive this long after its rotation has an overdue handoff (default 30 minutes). */
  readonly handoffWindowMs?: number;
}

/** Defined in the domain (the backoff arithmetic reads it); re-exported for the configuration's readers. */
export type { RetryPolicy } from '../domain/retryPolicy.js';

export interface FanOutConfig {
  /** Events with at most this many targets are attempted inline first; larger ones go straight to the queue. */
  readonly inlineLimit: number;
  /** Work items processed at once per invocation. */
  readonly concurrency: number;
}

export interface NotificationConfig {
  readonly webhookUrl: string;
  readonly format: 'generic' | 'teams' | 'slack';
}

export interface ServiceBusSettings {
  /** From `ServiceBusConnection__fullyQualifiedNamespace`. */
  readonly fullyQualifiedNamespace: string;
  readonly queueName: string;
  readonly failureQueueName: string;
}

export interface AppConfig {
  /** Keyed by the lowercase versionless key id. */
  readonly keys: ReadonlyMap<string, KeyTarget>;
  readonly syncAgents: SyncAgentConfig;
  readonly retry: RetryPolicy;
  readonly fanOut: FanOutConfig;
  readonly notifications?: NotificationConfig;
  /** Absent: the embedded local durable queue is used (local host only). */
  readonly serviceBus?: ServiceBusSettings;
  /**
   * From `AZURE_CLOUD` (default AzureCloud): the ARM endpoint and scope and the sign-in authority host the
   * clients use. Every vault and the Service Bus namespace belong to it (checked at load).
   */
  readonly cloud: AzureCloud;
}
