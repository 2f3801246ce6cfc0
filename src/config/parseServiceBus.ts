import type { ServiceBusSettings } from './appConfig.js';
import { ConfigProblems } from './configProblems.js';
import {
  DEFAULT_FAILURE_QUEUE_NAME,
  DEFAULT_QUEUE_NAME,
  FAILURE_QUEUE_NAME_SETTING,
  QUEUE_NAME_SETTING,
  SERVICE_BUS_CONNECTION,
  SERVICE_BUS_NAMESPACE_SETTING as FQNS_SETTING,
} from './settings.js';

const SERVICE_BUS_SUFFIXES = ['servicebus.windows.net', 'servicebus.chinacloudapi.cn', 'servicebus.usgovcloudapi.net'];
/** Namespace: 6-50 letters, digits, hyphens; starts with a letter, ends with a letter or digit. */
const NAMESPACE = /^[a-z][a-z0-9-]{4,48}[a-z0-9]$/;
/** Queue: up to 260 letters, digits, `.`, `-`, `_`, `/`; starts and ends with a letter or digit. */
const QUEUE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$/;

/**
 * The Service Bus settings: the namespace (absent: the embedded local queue), the queue names, and refusal of
 * connection strings (managed identity only; their values are never echoed).
 */
export function parseServiceBus(p: ConfigProblems, env: Readonly<Record<string, string | undefined>>): ServiceBusSettings | undefined {
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

function queue(p: ConfigProblems, raw: string | undefined, setting: string, fallback: string): string {
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!QUEUE_NAME.test(raw)) {
    p.add(setting, `must be 1-260 letters, digits, . - _ / starting and ending with a letter or digit, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return raw;
}
