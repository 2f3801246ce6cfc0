/**
 * The validated, frozen configuration of the app. Produced once by loadConfig(env) (src/config/loadConfig.ts)
 * from the app settings; nothing else in the code reads process.env for product settings.
 *
 * ROTATION_CONFIG (inline JSON or a path to a JSON file) has this shape:
 * {
 *   "keys": {
 *     "https://contoso-tde.vault.azure.net/keys/tde": {            // versionless key URI
 *       "servers": [
 *         { "id": "/subscriptions/../providers/Microsoft.Sql/servers/sql-a", "switchProtector": true },
 *         { "id": "/subscriptions/../providers/Microsoft.Sql/servers/sql-b", "switchProtector": true,
 *           "geoPrimary": "/subscriptions/../providers/Microsoft.Sql/servers/sql-a" }   // sql-b is a geo secondary of sql-a
 *       ],
 *       "discovery": { "scopes": ["/subscriptions/.."], "switchProtector": false }
 *     }
 *   },
 *   "syncAgents": {
 *     "vaultUrl": "https://contoso-sync.vault.azure.net",           // default vault for agent secrets
 *     "agents": [ { "id": "/subscriptions/../servers/sql-a/syncAgents/agent1", "secretName": "optional" } ],
 *     "discovery": { "servers": ["/subscriptions/../servers/sql-a"], "scopes": ["/subscriptions/.."] },
 *     "minIntervalHours": 24, "secretExpiryDays": 90
 *   },
 *   "retry": { "baseSeconds": 2, "capSeconds": 300, "maxAttempts": 10, "orderDelaySeconds": 30, "orderMaxAttempts": 40 },
 *   "fanOut": { "inlineLimit": 10, "concurrency": 8 },
 *   "notifications": { "webhookUrl": "https://..", "format": "generic" }
 * }
 */
import type { KeyId } from '../domain/keyId.js';

export interface ServerTarget {
  /** Full ARM id of the logical server (normalised: as written, validated). */
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
}

export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Waiting-on-order (geo secondaries not ready): fixed-ish schedule of its own. */
  readonly orderDelayMs: number;
  readonly orderMaxAttempts: number;
}

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
}

/** Queue names used when the app settings do not name others. */
export const DEFAULT_QUEUE_NAME = 'sql-key-rotation';
export const DEFAULT_FAILURE_QUEUE_NAME = 'sql-key-rotation-failures';
/** The Service Bus connection name of the trigger (`ServiceBusConnection__fullyQualifiedNamespace`). */
export const SERVICE_BUS_CONNECTION = 'ServiceBusConnection';
/** App setting holding the sync-agent timer's NCRONTAB schedule. */
export const SYNC_AGENT_SCHEDULE_SETTING = 'SYNC_AGENT_ROTATION_SCHEDULE';
/** Weekly, Sunday 03:00 UTC (NCRONTAB, six fields). */
export const DEFAULT_SYNC_AGENT_SCHEDULE = '0 0 3 * * 0';
