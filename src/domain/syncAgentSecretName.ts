/**
 * Key Vault secret names for sync agent keys. The derived name is `syncagent-{server}-{agent}`; logical server
 * names are globally unique (they are DNS names), so server + agent identifies the agent.
 *
 * Key Vault secret names must match ^[0-9a-zA-Z-]{1,127}$. Characters outside that set (sync agent names may
 * hold `_` and `.`) become `-`, and because that can make two agents collide (`a_1` and `a.1`), a name that
 * needed any replacement or truncation gets a stable 8-hex-digit hash of the original `server/agent` as suffix.
 */
import { OBJECT_NAME_PATTERN } from './keyId.js';

export const SECRET_NAME_MAX_LENGTH = 127;
const HASH_LENGTH = 8;

/** True when `name` is a valid Key Vault secret name (^[0-9a-zA-Z-]{1,127}$). */
export function isValidSecretName(name: unknown): boolean {
  return typeof name === 'string' && OBJECT_NAME_PATTERN.test(name);
}

/** FNV-1a 32-bit over UTF-16 code units: tiny, stable across runs and platforms, good enough to tell names apart. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(HASH_LENGTH, '0');
}

/** Derives the secret name of a sync agent from its server name and agent name (see the module comment). */
export function syncAgentSecretName(serverName: string, agentName: string): string {
  const plain = `syncagent-${serverName}-${agentName}`;
  if (isValidSecretName(plain)) return plain;
  const hash = fnv1a(`${serverName}/${agentName}`.toLowerCase());
  const cleaned = plain.replace(/[^0-9a-zA-Z-]/g, '-');
  const room = SECRET_NAME_MAX_LENGTH - HASH_LENGTH - 1;
  return `${cleaned.slice(0, room)}-${hash}`;
}
