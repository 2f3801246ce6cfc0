/**
 * Every app setting this project reads, with its default: the one list (Powertools keeps these in
 * `constants.ts`). loadConfig(env) reads the product settings; the trigger bindings name some of them as
 * `%NAME%` expressions (resolved by the Functions host, or by the local host from {@link APP_SETTING_DEFAULTS});
 * the local host reads `PORT` and `LOCAL_QUEUE_DIR`. infra/ sets the same names (test/infra/wiring.test.ts).
 */
export { AZURE_CLOUD_SETTING, DEFAULT_AZURE_CLOUD } from '../domain/azureCloud.js';

/** Required: inline JSON (first non-blank character `{`) or the path of a JSON file. Shape: appConfig.ts. */
export const ROTATION_CONFIG_SETTING = 'ROTATION_CONFIG';

/** The Service Bus connection name of the trigger binding; managed identity only (see SERVICE_BUS_NAMESPACE_SETTING). */
export const SERVICE_BUS_CONNECTION = 'ServiceBusConnection';
/** `{ns}.servicebus.windows.net` (or the sovereign equivalents). Absent: the embedded local queue (local host only). */
export const SERVICE_BUS_NAMESPACE_SETTING = `${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`;
/** Refused when set: connection strings (managed identity only). */
export const SERVICE_BUS_CONNECTION_STRING_SETTINGS = [SERVICE_BUS_CONNECTION, `${SERVICE_BUS_CONNECTION}__connectionString`] as const;

/** The work queue; the trigger binding resolves `%ROTATION_QUEUE_NAME%` from it. */
export const QUEUE_NAME_SETTING = 'ROTATION_QUEUE_NAME';
export const DEFAULT_QUEUE_NAME = 'sql-key-rotation';
/** The queue of dead-lettered work items. */
export const FAILURE_QUEUE_NAME_SETTING = 'ROTATION_FAILURE_QUEUE_NAME';
export const DEFAULT_FAILURE_QUEUE_NAME = 'sql-key-rotation-failures';

/** NCRONTAB schedule of the sync-agent timer. */
export const SYNC_AGENT_SCHEDULE_SETTING = 'SYNC_AGENT_ROTATION_SCHEDULE';
/** Weekly, Sunday 03:00 UTC (NCRONTAB, six fields). */
export const DEFAULT_SYNC_AGENT_SCHEDULE = '0 0 3 * * 0';
/** NCRONTAB schedule of the reconcile timer. */
export const RECONCILE_SCHEDULE_SETTING = 'RECONCILE_SCHEDULE';
/** Hourly, on the hour (NCRONTAB, six fields). */
export const DEFAULT_RECONCILE_SCHEDULE = '0 0 * * * *';

/** Settings a trigger binding names as `%NAME%`, with the defaults the local host applies (infra sets the same). */
export const APP_SETTING_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  [SYNC_AGENT_SCHEDULE_SETTING]: DEFAULT_SYNC_AGENT_SCHEDULE,
  [RECONCILE_SCHEDULE_SETTING]: DEFAULT_RECONCILE_SCHEDULE,
  [QUEUE_NAME_SETTING]: DEFAULT_QUEUE_NAME,
});

/** Local host only: the port it listens on (0 picks a free one). */
export const PORT_SETTING = 'PORT';
/** As `func start`. */
export const DEFAULT_HOST_PORT = 7071;
/** Local host only: the embedded queue's directory (one per host, so several can run side by side). */
export const LOCAL_QUEUE_DIR_SETTING = 'LOCAL_QUEUE_DIR';
/** Relative to the project root. */
export const DEFAULT_LOCAL_QUEUE_DIR = '.local-azure/queue';
