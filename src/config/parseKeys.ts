/** Parses ROTATION_CONFIG `keys` (see appConfig.ts for the shape). */
import { parseTargetId, targetKindOf, TARGET_KIND_LABELS } from '../domain/armId.js';
import { parseKeyId, type KeyId } from '../domain/keyId.js';
import type { KeyDiscovery, KeyTarget, ServerTarget } from './appConfig.js';
import { array, boolean, ConfigProblems, describe, isObject, object, prop, tryParse, type Json } from './configProblems.js';
import { parseScopes } from './parseScopes.js';

function parseServers(p: ConfigProblems, v: Json, path: string): ServerTarget[] {
  const list = array(p, v, path);
  if (list === undefined) return [];
  const servers: (ServerTarget & { index: number; rawGeoPrimary?: string })[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const o = object(p, entry, at, ['id', 'switchProtector', 'geoPrimary']);
    if (o === undefined) return;
    // A target is a logical server, a managed instance or a database with its own key (parseTargetId).
    const id = o['id'] === undefined ? p.add(`${at}.id`, 'is required') : tryParse(p, `${at}.id`, () => parseTargetId(o['id'] as string).id);
    const switchProtector = boolean(p, o['switchProtector'], `${at}.switchProtector`, false);
    let geoPrimary: string | undefined;
    if (o['geoPrimary'] !== undefined) geoPrimary = tryParse(p, `${at}.geoPrimary`, () => parseTargetId(o['geoPrimary'] as string).id);
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
    const kind = targetKindOf(s.id);
    const primaryKind = targetKindOf(s.geoPrimary);
    if (s.geoPrimary.toLowerCase() === s.id.toLowerCase()) p.add(at, 'a server cannot be its own geo primary');
    else if (kind !== undefined && primaryKind !== undefined && kind !== primaryKind) {
      p.add(at, `names a ${TARGET_KIND_LABELS[primaryKind]}, but this target is a ${TARGET_KIND_LABELS[kind]}: a geo primary is of the same kind as its secondary`);
    } else if (primary === undefined) p.add(at, `names ${s.geoPrimary}, which is not in this key's servers list`);
    else if (primary.geoPrimary !== undefined) {
      p.add(at, `names ${s.geoPrimary}, which is itself a geo secondary; secondaries of secondaries (chaining) are not supported with Key Vault TDE`);
    }
  }
  return servers.map(({ id, switchProtector, geoPrimary }) => ({ id, switchProtector, ...(geoPrimary === undefined ? {} : { geoPrimary }) }));
}

/**
 * The `keys` section: versionless key URI -> its targets (`servers`) and `discovery` scopes. Reports every
 * problem into `p` with its path; returns the entries that parsed, keyed by the lowercase versionless key id.
 */
export function parseKeys(p: ConfigProblems, v: Json, path: string): Map<string, KeyTarget> {
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
