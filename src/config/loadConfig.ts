/**
 * loadConfig(env): the one place app settings become configuration. Pure apart from the injected readFile:
 * validates everything at once and throws one {@link ConfigError} listing every problem with its path
 * (`ROTATION_CONFIG.keys["https://..."].servers[1].geoPrimary`) and what is wrong. The result is deeply frozen.
 *
 * Settings read:
 * - `ROTATION_CONFIG` (required): inline JSON (first non-blank character `{`) or a path to a JSON file. Shape and
 *   defaults: see the comment at the top of src/config/appConfig.ts.
 * - `ServiceBusConnection__fullyQualifiedNamespace` (optional): `{ns}.servicebus.windows.net` (or the China /
 *   US Government equivalents). Absent: the embedded local queue. A connection string in `ServiceBusConnection`
 *   is refused: managed identity only.
 * - `ROTATION_QUEUE_NAME`, `ROTATION_FAILURE_QUEUE_NAME` (optional): queue names, defaults in settings.ts.
 * - `AZURE_CLOUD` (optional): `AzureCloud` (default), `AzureChinaCloud` or `AzureUSGovernment`. A key vault,
 *   sync-agent vault or Service Bus namespace of another cloud is a problem naming the key or setting.
 *
 * Values that may be secrets (webhook URLs, connection strings) are never echoed in a problem message.
 *
 * One parser per ROTATION_CONFIG section (parseKeys.ts, parseSyncAgents.ts, parseRetry.ts, parseFanOut.ts,
 * parseNotifications.ts) and per setting group (parseServiceBus.ts, parseCloud.ts, checkCloud.ts), each
 * reporting into one ConfigProblems (configProblems.ts); setting names and defaults live in settings.ts.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';
import type { AppConfig, KeyTarget } from './appConfig.js';
import { checkCloud } from './checkCloud.js';
import { ConfigProblems, object, type JsonObject } from './configProblems.js';
import { deepFreeze } from './deepFreeze.js';
import { FrozenMap } from './frozenMap.js';
import { parseCloud } from './parseCloud.js';
import { parseFanOut } from './parseFanOut.js';
import { parseKeys } from './parseKeys.js';
import { parseNotifications } from './parseNotifications.js';
import { parseRetry } from './parseRetry.js';
import { parseServiceBus } from './parseServiceBus.js';
import { parseSyncAgents } from './parseSyncAgents.js';
import { readRotationConfig } from './readRotationConfig.js';
import { AZURE_CLOUD_SETTING, ROTATION_CONFIG_SETTING } from './settings.js';

/**
 * Validates the app settings and returns the frozen configuration. Throws {@link ConfigError} listing every
 * problem found (never just the first). `readFile` reads ROTATION_CONFIG when it is a path (UTF-8).
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AppConfig {
  const p = new ConfigProblems();
  const S = ROTATION_CONFIG_SETTING;
  const json = readRotationConfig(p, env[S], readFile);
  const serviceBus = parseServiceBus(p, env);

  let root: JsonObject | undefined;
  if (json !== undefined) root = object(p, json, S, ['$schema', 'keys', 'syncAgents', 'retry', 'fanOut', 'notifications']);
  const keys = root === undefined ? new Map<string, KeyTarget>() : parseKeys(p, root['keys'], `${S}.keys`);
  const syncAgents = parseSyncAgents(p, root?.['syncAgents'], `${S}.syncAgents`);
  const retry = parseRetry(p, root?.['retry'], `${S}.retry`);
  const fanOut = parseFanOut(p, root?.['fanOut'], `${S}.fanOut`);
  const notifications = parseNotifications(p, root?.['notifications'], `${S}.notifications`);
  const cloud = parseCloud(p, env[AZURE_CLOUD_SETTING]);
  if (cloud !== undefined) checkCloud(p, cloud, root, serviceBus);

  if (p.list.length > 0 || cloud === undefined) throw new ConfigError(p.list);

  const config: AppConfig = {
    keys: new FrozenMap([...keys].map(([k, v]) => [k, deepFreeze(v)] as const)),
    syncAgents: deepFreeze(syncAgents),
    retry: deepFreeze({ ...retry }),
    fanOut: deepFreeze({ ...fanOut }),
    ...(notifications === undefined ? {} : { notifications: deepFreeze(notifications) }),
    ...(serviceBus === undefined ? {} : { serviceBus: deepFreeze(serviceBus) }),
    cloud,
  };
  return Object.freeze(config);
}
