/** Parses ROTATION_CONFIG `syncAgents` (see appConfig.ts for the shape). */
import { parseServerId, parseSyncAgentId } from '../domain/armId.js';
import { parseVaultUrl } from '../domain/keyId.js';
import { isValidSecretName, syncAgentSecretName } from '../domain/syncAgentSecretName.js';
import type { SyncAgentConfig, SyncAgentTarget } from './appConfig.js';
import { array, boolean, ConfigProblems, describe, object, positiveNumber, tryParse, type Json } from './configProblems.js';
import { parseScopes } from './parseScopes.js';

export const DEFAULT_SYNC_AGENT_MIN_INTERVAL_HOURS = 24;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function vaultUrl(p: ConfigProblems, v: Json, path: string): string | undefined {
  const r = parseVaultUrl(v);
  if (!r.ok) return p.add(path, `must be a Key Vault URL such as https://{vault}.vault.azure.net: ${r.reason}`);
  if (r.kind !== 'vault') return p.add(path, 'must be a Key Vault, not a Managed HSM (Managed HSM stores no secrets)');
  return r.vaultUrl;
}

/** The `syncAgents` section: agents, their vaults and secret names, discovery, intervals and handoff. */
export function parseSyncAgents(p: ConfigProblems, v: Json, path: string): SyncAgentConfig {
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
