import { parseScope } from '../domain/armId.js';
import { array, ConfigProblems, tryParse, type Json } from './configProblems.js';

/** A list of scope ids (`/subscriptions/{id}` or `.../resourceGroups/{rg}`), duplicates reported. */
export function parseScopes(p: ConfigProblems, v: Json, path: string, required: boolean): string[] {
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
