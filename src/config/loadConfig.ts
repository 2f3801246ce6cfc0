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
 * - `ROTATION_QUEUE_NAME`, `ROTATION_FAILURE_QUEUE_NAME` (optional): queue names, defaults in appConfig.ts.
 * - `AZURE_CLOUD` (optional): `AzureCloud` (default), `AzureChinaCloud` or `AzureUSGovernment`. A key vault,
 *   sync-agent vault or Service Bus namespace of another cloud is a problem naming the key or setting.
 *
 * Values that may be secrets (webhook URLs, connection strings) are never echoed in a problem message.
 */
import { readFileSync } from 'node:fs';
import { AZURE_CLOUD_SETTING, cloudOfKeyVaultSuffix, cloudOfServiceBusHost, parseAzureCloud, type AzureCloud } from '../domain/azureCloud.js';
import { DEFAULT_RETRY_POLICY } from '../domain/backoff.js';
import { ConfigError, type ConfigProblem } from '../domain/errors.js';
import { parseKeyId, parseVaultUrl, type KeyId } from '../domain/keyId.js';
import { parseScope, parseServerId, parseSyncAgentId } from '../domain/armId.js';
import { isValidSecretName, syncAgentSecretName } from '../domain/syncAgentSecretName.js';
import {
  DEFAULT_FAILURE_QUEUE_NAME,
  DEFAULT_QUEUE_NAME,
  SERVICE_BUS_CONNECTION,
  type AppConfig,
  type FanOutConfig,
  type KeyDiscovery,
  type KeyTarget,
  type NotificationConfig,
  type RetryPolicy,
  type ServerTarget,
  type ServiceBusSettings,
  type SyncAgentConfig,
  type SyncAgentTarget,
} from './appConfig.js';

export const ROTATION_CONFIG_SETTING = 'ROTATION_CONFIG';
export const QUEUE_NAME_SETTING = 'ROTATION_QUEUE_NAME';
export const FAILURE_QUEUE_NAME_SETTING = 'ROTATION_FAILURE_QUEUE_NAME';
export const FQNS_SETTING = `${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`;

/** Defaults applied when ROTATION_CONFIG leaves a section out. */
export const DEFAULT_FAN_OUT: FanOutConfig = Object.freeze({ inlineLimit: 10, concurrency: 8 });
export const DEFAULT_SYNC_AGENT_MIN_INTERVAL_HOURS = 24;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SERVICE_BUS_SUFFIXES = ['servicebus.windows.net', 'servicebus.chinacloudapi.cn', 'servicebus.usgovcloudapi.net'];
/** Namespace: 6-50 letters, digits, hyphens; starts with a letter, ends with a letter or digit. */
const NAMESPACE = /^[a-z][a-z0-9-]{4,48}[a-z0-9]$/;
/** Queue: up to 260 letters, digits, `.`, `-`, `_`, `/`; starts and ends with a letter or digit. */
const QUEUE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$/;

type Json = unknown;
type JsonObject = Readonly<Record<string, Json>>;

/** Collects problems; the parse functions never throw, they report and return undefined. */
class Problems {
  readonly list: ConfigProblem[] = [];
  add(path: string, message: string): undefined {
    this.list.push({ path, message });
    return undefined;
  }
}

function prop(path: string, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Object with only the allowed properties; reports unknown ones (with a suggestion) and returns the object. */
function object(p: Problems, v: Json, path: string, allowed: readonly string[]): JsonObject | undefined {
  if (!isObject(v)) return p.add(path, `must be an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => editDistance(a, key) <= 2);
    p.add(prop(path, key), `unknown property${near === undefined ? '' : ` (did you mean "${near}"?)`}; allowed: ${allowed.join(', ')}`);
  }
  return v;
}

function array(p: Problems, v: Json, path: string): readonly Json[] | undefined {
  if (!Array.isArray(v)) return p.add(path, `must be an array, got ${describe(v)}`);
  return v as readonly Json[];
}

function boolean(p: Problems, v: Json, path: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    p.add(path, `must be true or false, got ${describe(v)}`);
    return fallback;
  }
  return v;
}

function integer(p: Problems, v: Json, path: string, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    p.add(path, `must be an integer >= ${min}, got ${describe(v)}`);
    return fallback;
  }
  return v;
}

function positiveNumber(p: Problems, v: Json, path: string, allowZero: boolean): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    return p.add(path, `must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${describe(v)}`);
  }
  return v;
}

function tryParse<T>(p: Problems, path: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    return p.add(path, e instanceof Error ? e.message : String(e));
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A Map that refuses changes once built (Object.freeze does not stop Map.prototype.set). */
class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    this.#sealed = true;
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('configuration is frozen');
    return super.set(key, value);
  }
  override delete(): boolean {
    throw new TypeError('configuration is frozen');
  }
  override clear(): void {
    throw new TypeError('configuration is frozen');
  }
}

// ---------------------------------------------------------------- keys

function parseServers(p: Problems, v: Json, path: string): ServerTarget[] {
  const list = array(p, v, path);
  if (list === undefined) return [];
  const servers: (ServerTarget & { index: number; rawGeoPrimary?: string })[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const o = object(p, entry, at, ['id', 'switchProtector', 'geoPrimary']);
    if (o === undefined) return;
    const id = o['id'] === undefined ? p.add(`${at}.id`, 'is required') : tryParse(p, `${at}.id`, () => parseServerId(o['id'] as string).id);
    const switchProtector = boolean(p, o['switchProtector'], `${at}.switchProtector`, false);
    let geoPrimary: string | undefined;
    if (o['geoPrimary'] !== undefined) geoPrimary = tryParse(p, `${at}.geoPrimary`, () => parseServerId(o['geoPrimary'] as string).id);
    if (id === undefined) return;
    const key = id.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      p.add(`${at}.id`, `duplicate server: same as ${path}[${first}].id`);
      return;
    }
    seen.set(key, i);
    servers.push({ index: i, id, switchProtector, ...(geoPrimary === undefined ? {} : { geoPrimary }) });
  });

  const byId = new Map(servers.map((s) => [s.id.toLowerCase(), s]));
  for (const s of servers) {
    if (s.geoPrimary === undefined) continue;
    const at = `${path}[${s.index}].geoPrimary`;
    const primary = byId.get(s.geoPrimary.toLowerCase());
    if (s.geoPrimary.toLowerCase() === s.id.toLowerCase()) p.add(at, 'a server cannot be its own geo primary');
    else if (primary === undefined) p.add(at, `names ${s.geoPrimary}, which is not in this key's servers list`);
    else if (primary.geoPrimary !== undefined) {
      p.add(at, `names ${s.geoPrimary}, which is itself a geo secondary; secondaries of secondaries (chaining) are not supported with Key Vault TDE`);
    }
  }
  return servers.map(({ id, switchProtector, geoPrimary }) => ({ id, switchProtector, ...(geoPrimary === undefined ? {} : { geoPrimary }) }));
}

function parseScopes(p: Problems, v: Json, path: string, required: boolean): string[] {
  if (v === undefined && !required) return [];
  const list = array(p, v, path);
  if (list === undefined) return [];
  if (required && list.length === 0) p.add(path, 'must list at least one scope');
  const seen = new Set<string>();
  const scopes: string[] = [];
  list.forEach((s, i) => {
    const id = tryParse(p, `${path}[${i}]`, () => parseScope(s as string).id);
    if (id === undefined) return;
    if (seen.has(id.toLowerCase())) p.add(`${path}[${i}]`, 'duplicate scope');
    else scopes.push(id);
    seen.add(id.toLowerCase());
  });
  return scopes;
}

function parseKeys(p: Problems, v: Json, path: string): Map<string, KeyTarget> {
  const keys = new Map<string, KeyTarget>();
  if (v === undefined) return keys;
  if (!isObject(v)) {
    p.add(path, `must be an object mapping versionless key URIs to their servers, got ${describe(v)}`);
    return keys;
  }
  const firstSpelling = new Map<string, string>();
  for (const [uri, entry] of Object.entries(v)) {
    const at = prop(path, uri);
    const key: KeyId | undefined = tryParse(p, at, () => parseKeyId(uri));
    if (key !== undefined && key.version !== undefined) {
      p.add(at, `must be a versionless key URI (${key.versionlessId}); the version comes from each event`);
    }
    const o = object(p, entry, at, ['servers', 'discovery']);
    if (o === undefined) continue;
    const servers = o['servers'] === undefined ? [] : parseServers(p, o['servers'], `${at}.servers`);
    let discovery: KeyDiscovery | undefined;
    if (o['discovery'] !== undefined) {
      const d = object(p, o['discovery'], `${at}.discovery`, ['scopes', 'switchProtector']);
      if (d !== undefined) {
        discovery = {
          scopes: parseScopes(p, d['scopes'], `${at}.discovery.scopes`, true),
          switchProtector: boolean(p, d['switchProtector'], `${at}.discovery.switchProtector`, false),
        };
      }
    }
    if (o['servers'] === undefined && o['discovery'] === undefined) p.add(at, 'needs "servers", "discovery" or both');
    if (key === undefined || key.version !== undefined) continue;
    const mapKey = key.versionlessId.toLowerCase();
    const earlier = firstSpelling.get(mapKey);
    if (earlier !== undefined) {
      p.add(at, `duplicate key: same key as ${prop(path, earlier)} (key URIs compare case-insensitively)`);
      continue;
    }
    firstSpelling.set(mapKey, uri);
    keys.set(mapKey, { key, servers, ...(discovery === undefined ? {} : { discovery }) });
  }
  return keys;
}

// ---------------------------------------------------------------- sync agents

function vaultUrl(p: Problems, v: Json, path: string): string | undefined {
  const r = parseVaultUrl(v);
  if (!r.ok) return p.add(path, `must be a Key Vault URL such as https://{vault}.vault.azure.net: ${r.reason}`);
  if (r.kind !== 'vault') return p.add(path, 'must be a Key Vault, not a Managed HSM (Managed HSM stores no secrets)');
  return r.vaultUrl;
}

function parseSyncAgents(p: Problems, v: Json, path: string): SyncAgentConfig {
  const fallback: SyncAgentConfig = { agents: [], minIntervalMs: DEFAULT_SYNC_AGENT_MIN_INTERVAL_HOURS * HOUR_MS };
  if (v === undefined) return fallback;
  const o = object(p, v, path, ['vaultUrl', 'agents', 'discovery', 'minIntervalHours', 'secretExpiryDays', 'handoffWindowMinutes', 'requireOnline']);
  if (o === undefined) return fallback;

  const defaultVault = o['vaultUrl'] === undefined ? undefined : vaultUrl(p, o['vaultUrl'], `${path}.vaultUrl`);
  const agents: SyncAgentTarget[] = [];
  const agentIds = new Map<string, number>();
  const secrets = new Map<string, number>();
  const list = o['agents'] === undefined ? [] : (array(p, o['agents'], `${path}.agents`) ?? []);
  list.forEach((entry, i) => {
    const at = `${path}.agents[${i}]`;
    const a = object(p, entry, at, ['id', 'vaultUrl', 'secretName', 'requireOnline']);
    if (a === undefined) return;
    const agent = a['id'] === undefined ? p.add(`${at}.id`, 'is required') : tryParse(p, `${at}.id`, () => parseSyncAgentId(a['id'] as string));
    let vault: string | undefined;
    if (a['vaultUrl'] !== undefined) vault = vaultUrl(p, a['vaultUrl'], `${at}.vaultUrl`);
    else if (defaultVault === undefined && o['vaultUrl'] === undefined) {
      p.add(`${at}.vaultUrl`, `is required when ${path}.vaultUrl (the default vault) is not set`);
    } else vault = defaultVault;
    let secretName: string | undefined;
    if (a['secretName'] !== undefined) {
      if (isValidSecretName(a['secretName'])) secretName = a['secretName'] as string;
      else p.add(`${at}.secretName`, `must match ^[0-9a-zA-Z-]{1,127}$, got ${describe(a['secretName'])}`);
    } else if (agent !== undefined) secretName = syncAgentSecretName(agent.serverName, agent.agentName);
    if (agent === undefined) return;
    const first = agentIds.get(agent.id.toLowerCase());
    if (first !== undefined) {
      p.add(`${at}.id`, `duplicate sync agent: same as ${path}.agents[${first}].id`);
      return;
    }
    agentIds.set(agent.id.toLowerCase(), i);
    if (vault === undefined || secretName === undefined) return;
    // Key Vault secret names are case-insensitive, so two agents writing vault+name that differ in case collide.
    const slot = `${vault}/secrets/${secretName}`.toLowerCase();
    const other = secrets.get(slot);
    if (other !== undefined) {
      p.add(`${at}.secretName`, `secret "${secretName}" in ${vault} is also used by ${path}.agents[${other}]; each agent needs its own secret`);
      return;
    }
    secrets.set(slot, i);
    agents.push({
      id: agent.id,
      vaultUrl: vault,
      secretName,
      ...(a['requireOnline'] === undefined ? {} : { requireOnline: boolean(p, a['requireOnline'], `${at}.requireOnline`, false) }),
    });
  });

  let discovery: SyncAgentConfig['discovery'];
  if (o['discovery'] !== undefined) {
    const d = object(p, o['discovery'], `${path}.discovery`, ['servers', 'scopes']);
    if (d !== undefined) {
      const servers: string[] = [];
      const serverList = d['servers'] === undefined ? [] : (array(p, d['servers'], `${path}.discovery.servers`) ?? []);
      serverList.forEach((s, i) => {
        const id = tryParse(p, `${path}.discovery.servers[${i}]`, () => parseServerId(s as string).id);
        if (id !== undefined) servers.push(id);
      });
      const scopes = parseScopes(p, d['scopes'], `${path}.discovery.scopes`, false);
      if (d['servers'] === undefined && d['scopes'] === undefined) {
        p.add(`${path}.discovery`, 'needs "servers", "scopes" or both');
      }
      if (o['vaultUrl'] === undefined) p.add(`${path}.vaultUrl`, 'is required with discovery: discovered agents store their keys there');
      discovery = { servers, scopes };
    }
  }

  const hours = o['minIntervalHours'] === undefined ? DEFAULT_SYNC_AGENT_MIN_INTERVAL_HOURS : positiveNumber(p, o['minIntervalHours'], `${path}.minIntervalHours`, true);
  const days = o['secretExpiryDays'] === undefined ? undefined : positiveNumber(p, o['secretExpiryDays'], `${path}.secretExpiryDays`, false);
  const handoffMinutes =
    o['handoffWindowMinutes'] === undefined ? undefined : positiveNumber(p, o['handoffWindowMinutes'], `${path}.handoffWindowMinutes`, false);
  const requireOnline = o['requireOnline'] === undefined ? undefined : boolean(p, o['requireOnline'], `${path}.requireOnline`, false);
  return {
    agents,
    ...(defaultVault === undefined ? {} : { vaultUrl: defaultVault }),
    ...(discovery === undefined ? {} : { discovery }),
    minIntervalMs: (hours ?? DEFAULT_SYNC_AGENT_MIN_INTERVAL_HOURS) * HOUR_MS,
    ...(days === undefined ? {} : { secretExpiryMs: days * DAY_MS }),
    // Left out when not set (defaults: DEFAULT_HANDOFF_WINDOW_MS, false), like secretExpiryMs.
    ...(handoffMinutes === undefined ? {} : { handoffWindowMs: handoffMinutes * 60_000 }),
    ...(requireOnline === undefined ? {} : { requireOnline }),
  };
}

// ---------------------------------------------------------------- retry, fan-out, notifications

function parseRetry(p: Problems, v: Json, path: string): RetryPolicy {
  const d = DEFAULT_RETRY_POLICY;
  if (v === undefined) return d;
  const o = object(p, v, path, ['baseSeconds', 'capSeconds', 'maxAttempts', 'orderDelaySeconds', 'orderMaxAttempts']);
  if (o === undefined) return d;
  const policy: RetryPolicy = {
    baseMs: integer(p, o['baseSeconds'], `${path}.baseSeconds`, 1, d.baseMs / 1000) * 1000,
    capMs: integer(p, o['capSeconds'], `${path}.capSeconds`, 1, d.capMs / 1000) * 1000,
    maxAttempts: integer(p, o['maxAttempts'], `${path}.maxAttempts`, 1, d.maxAttempts),
    orderDelayMs: integer(p, o['orderDelaySeconds'], `${path}.orderDelaySeconds`, 1, d.orderDelayMs / 1000) * 1000,
    orderMaxAttempts: integer(p, o['orderMaxAttempts'], `${path}.orderMaxAttempts`, 1, d.orderMaxAttempts),
  };
  if (policy.capMs < policy.baseMs) {
    p.add(`${path}.capSeconds`, `must be >= baseSeconds (${policy.baseMs / 1000}), got ${policy.capMs / 1000}`);
  }
  return policy;
}

function parseFanOut(p: Problems, v: Json, path: string): FanOutConfig {
  if (v === undefined) return DEFAULT_FAN_OUT;
  const o = object(p, v, path, ['inlineLimit', 'concurrency']);
  if (o === undefined) return DEFAULT_FAN_OUT;
  return {
    inlineLimit: integer(p, o['inlineLimit'], `${path}.inlineLimit`, 0, DEFAULT_FAN_OUT.inlineLimit),
    concurrency: integer(p, o['concurrency'], `${path}.concurrency`, 1, DEFAULT_FAN_OUT.concurrency),
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORMATS: readonly NotificationConfig['format'][] = ['generic', 'teams', 'slack'];

function parseNotifications(p: Problems, v: Json, path: string): NotificationConfig | undefined {
  if (v === undefined) return undefined;
  const o = object(p, v, path, ['webhookUrl', 'format']);
  if (o === undefined) return undefined;
  // Webhook URLs often embed a token: problems describe them without echoing them.
  let webhookUrl: string | undefined;
  const raw = o['webhookUrl'];
  if (typeof raw !== 'string') p.add(`${path}.webhookUrl`, `is required and must be a string, got ${raw === undefined ? 'nothing' : typeof raw}`);
  else {
    let url: URL | undefined;
    try {
      url = /\s/.test(raw) ? undefined : new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined) p.add(`${path}.webhookUrl`, 'is not a valid absolute URL');
    else if (url.username !== '' || url.password !== '') p.add(`${path}.webhookUrl`, 'must not hold userinfo (user:password@)');
    else if (url.protocol === 'https:') webhookUrl = raw;
    else if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) webhookUrl = raw;
    else p.add(`${path}.webhookUrl`, `must be https (http only for localhost), got ${url.protocol.replace(':', '')}`);
  }
  let format: NotificationConfig['format'] = 'generic';
  if (o['format'] !== undefined) {
    if (FORMATS.includes(o['format'] as NotificationConfig['format'])) format = o['format'] as NotificationConfig['format'];
    else p.add(`${path}.format`, `must be one of ${FORMATS.join(', ')}, got ${describe(o['format'])}`);
  }
  return webhookUrl === undefined ? undefined : { webhookUrl, format };
}

// ---------------------------------------------------------------- Service Bus

function parseServiceBus(p: Problems, env: Readonly<Record<string, string | undefined>>): ServiceBusSettings | undefined {
  const connection = env[SERVICE_BUS_CONNECTION];
  if (connection !== undefined && connection.trim() !== '') {
    p.add(SERVICE_BUS_CONNECTION, `connection strings are refused: use managed identity and set ${FQNS_SETTING} instead (value not shown)`);
  }
  const connectionString = env[`${SERVICE_BUS_CONNECTION}__connectionString`];
  if (connectionString !== undefined && connectionString.trim() !== '') {
    p.add(`${SERVICE_BUS_CONNECTION}__connectionString`, `connection strings are refused: use managed identity and set ${FQNS_SETTING} instead (value not shown)`);
  }

  const queueName = queue(p, env[QUEUE_NAME_SETTING], QUEUE_NAME_SETTING, DEFAULT_QUEUE_NAME);
  const failureQueueName = queue(p, env[FAILURE_QUEUE_NAME_SETTING], FAILURE_QUEUE_NAME_SETTING, DEFAULT_FAILURE_QUEUE_NAME);
  if (queueName.toLowerCase() === failureQueueName.toLowerCase()) {
    p.add(FAILURE_QUEUE_NAME_SETTING, `must differ from ${QUEUE_NAME_SETTING} ("${queueName}")`);
  }

  const raw = env[FQNS_SETTING];
  if (raw === undefined || raw.trim() === '') return undefined;
  const host = raw.trim().toLowerCase();
  const suffix = SERVICE_BUS_SUFFIXES.find((s) => host.endsWith(`.${s}`));
  const ns = suffix === undefined ? undefined : host.slice(0, -(suffix.length + 1));
  if (suffix === undefined || ns === undefined || !NAMESPACE.test(ns) || ns.includes('--')) {
    return p.add(
      FQNS_SETTING,
      `must be {namespace}.${SERVICE_BUS_SUFFIXES.join(' or .')} with a 6-50 character namespace (letters, digits, hyphens; starting with a letter), got ${JSON.stringify(raw)}`,
    );
  }
  return { fullyQualifiedNamespace: host, queueName, failureQueueName };
}

function queue(p: Problems, raw: string | undefined, setting: string, fallback: string): string {
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!QUEUE_NAME.test(raw)) {
    p.add(setting, `must be 1-260 letters, digits, . - _ / starting and ending with a letter or digit, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return raw;
}

// ---------------------------------------------------------------- cloud

function parseCloud(p: Problems, raw: string | undefined): AzureCloud | undefined {
  const r = parseAzureCloud(raw);
  if (r.ok) return r.cloud;
  return p.add(AZURE_CLOUD_SETTING, `${r.reason}, got ${describe(raw)}`);
}

/**
 * Every vault and the Service Bus namespace must belong to the configured cloud: the app signs in to one cloud
 * only, so a vault of another would fail on every event. Reads the raw JSON so each problem has its exact path;
 * values that do not parse were reported already.
 */
function checkCloud(p: Problems, cloud: AzureCloud, root: JsonObject | undefined, serviceBus: ServiceBusSettings | undefined): void {
  const S = ROTATION_CONFIG_SETTING;
  const refuse = (path: string, what: string, cloudName: string, suffix: string): void => {
    p.add(
      path,
      `is ${what} of ${cloudName} (${suffix}), but ${AZURE_CLOUD_SETTING} is ${cloud.name}: the app signs in to one cloud ` +
        `only; set ${AZURE_CLOUD_SETTING}=${cloudName} or use ${cloud.keyVaultDnsSuffixes.join(' / ')}`,
    );
  };
  const keys = root?.['keys'];
  if (isObject(keys)) {
    for (const uri of Object.keys(keys)) {
      let key: KeyId;
      try {
        key = parseKeyId(uri);
      } catch {
        continue;
      }
      const c = cloudOfKeyVaultSuffix(key.dnsSuffix);
      if (c !== undefined && c !== cloud.name) refuse(prop(`${S}.keys`, uri), 'a key', c, key.dnsSuffix);
    }
  }
  const sync = root?.['syncAgents'];
  if (isObject(sync)) {
    const vaults: [string, Json][] = [[`${S}.syncAgents.vaultUrl`, sync['vaultUrl']]];
    const agents = sync['agents'];
    if (Array.isArray(agents)) {
      (agents as readonly Json[]).forEach((a, i) => {
        if (isObject(a)) vaults.push([`${S}.syncAgents.agents[${i}].vaultUrl`, a['vaultUrl']]);
      });
    }
    for (const [path, raw] of vaults) {
      if (raw === undefined) continue;
      const v = parseVaultUrl(raw);
      if (!v.ok) continue;
      const c = cloudOfKeyVaultSuffix(v.dnsSuffix);
      if (c !== undefined && c !== cloud.name) refuse(path, 'a vault', c, v.dnsSuffix);
    }
  }
  if (serviceBus !== undefined) {
    const c = cloudOfServiceBusHost(serviceBus.fullyQualifiedNamespace);
    if (c !== undefined && c !== cloud.name) {
      p.add(
        FQNS_SETTING,
        `is a Service Bus namespace of ${c}, but ${AZURE_CLOUD_SETTING} is ${cloud.name}: set ${AZURE_CLOUD_SETTING}=${c} ` +
          `or use a namespace under ${cloud.serviceBusDnsSuffix}`,
      );
    }
  }
}

// ---------------------------------------------------------------- entry point

function readRotationConfig(
  p: Problems,
  raw: string | undefined,
  readFile: (path: string) => string,
): Json {
  const S = ROTATION_CONFIG_SETTING;
  if (raw === undefined || raw.trim() === '') {
    return p.add(S, 'is required: inline JSON ({"keys": {...}}) or the path to a JSON file');
  }
  // The raw value is never quoted in a problem: a mangled inline JSON (a quote too many, a BOM) lands in the
  // path branch, and it holds the webhook URL with its token.
  const inline = inlineJson(raw);
  let json: string;
  let source: string;
  if (inline !== undefined) {
    json = inline;
    source = 'inline JSON';
  } else {
    source = 'the file it names';
    try {
      json = readFile(raw.trim());
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      return p.add(
        S,
        `is not inline JSON (does not start with "{") and cannot be read as the path of a JSON file` +
          `${typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? ` (${code})` : ''} (value not shown, ${raw.length} characters)`,
      );
    }
  }
  try {
    return JSON.parse(json) as Json;
  } catch (e) {
    return p.add(S, `${source} is not valid JSON${jsonErrorPosition(json, e)} (content not shown)`);
  }
}

/**
 * The JSON text of an inline ROTATION_CONFIG, or undefined when the value is a path. Inline: first non-blank
 * character `{`; also a quoted object, as shells and pipelines leave it: `'{...}'`, `"{...}"`, or a JSON string
 * holding the object (`"{\"keys\": ...}"`).
 */
function inlineJson(raw: string): string | undefined {
  const text = raw.trim().replace(/^\uFEFF/, '');
  if (text.startsWith('{')) return text;
  const q = text[0];
  if (text.length < 2 || (q !== '"' && q !== "'") || text[text.length - 1] !== q) return undefined;
  if (q === '"') {
    try {
      const decoded: unknown = JSON.parse(text);
      if (typeof decoded === 'string' && decoded.trim().startsWith('{')) return decoded.trim();
    } catch {
      // not a JSON string: maybe raw JSON between quotes
    }
  }
  const inner = text.slice(1, -1).trim();
  return inner.startsWith('{') ? inner : undefined;
}

/** ` at line L, column C` from a JSON.parse error, without the snippet of input V8 quotes in its message. */
function jsonErrorPosition(json: string, e: unknown): string {
  const m = e instanceof Error ? /at position (\d+)/.exec(e.message) : null;
  if (m === null) return '';
  const at = Math.min(Number(m[1]), json.length);
  const before = json.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

/**
 * Validates the app settings and returns the frozen configuration. Throws {@link ConfigError} listing every
 * problem found (never just the first). `readFile` reads ROTATION_CONFIG when it is a path (UTF-8).
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AppConfig {
  const p = new Problems();
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
