/**
 * Key Vault / Managed HSM key identifiers and the Azure SQL server key names derived from them.
 * Pure: no I/O.
 *
 * Accepted forms (nothing else):
 * - `https://{vault}.{suffix}/keys/{name}/{version}`
 * - `https://{vault}.{suffix}/keys/{name}` (versionless)
 * - either of the above with ONE trailing slash, which is dropped: `https://v.vault.azure.net/keys/k/` is the
 *   versionless id `https://v.vault.azure.net/keys/k`. Two or more trailing slashes are an empty path segment and
 *   are refused, as is every other empty segment.
 *
 * The raw string is checked character by character rather than through WHATWG `URL` alone, because `URL`
 * normalises away exactly what must be refused (`/a/../`, `:443`, `%6B`, host case, backslashes, tabs).
 */
import { InvalidKeyIdError } from './errors.js';

export type KeyVaultKind = 'vault' | 'managedHsm';

export interface KeyId {
  /** First DNS label of the host: the vault (or HSM pool) name. */
  readonly vaultName: string;
  /** Host without the first label, e.g. `vault.azure.net`, `managedhsm.azure.net`, `vault.azure.cn`. */
  readonly dnsSuffix: string;
  readonly kind: KeyVaultKind;
  /** `https://{vault}.{suffix}` without trailing slash. */
  readonly vaultUrl: string;
  readonly name: string;
  /** 32 lowercase hex characters, or undefined for a versionless id. */
  readonly version?: string;
  /** `https://{vault}.{suffix}/keys/{name}` */
  readonly versionlessId: string;
  /** `https://{vault}.{suffix}/keys/{name}/{version}` (or the versionless id when there is no version). */
  readonly id: string;
}

/** DNS suffixes of Key Vault and Managed HSM in the public, China and US Government clouds. */
export const KEY_VAULT_DNS_SUFFIXES: Readonly<Record<string, KeyVaultKind>> = Object.freeze({
  'vault.azure.net': 'vault',
  'managedhsm.azure.net': 'managedHsm',
  'vault.azure.cn': 'vault',
  'managedhsm.azure.cn': 'managedHsm',
  'vault.usgovcloudapi.net': 'vault',
  'managedhsm.usgovcloudapi.net': 'managedHsm',
});

/** Key Vault object name rule (keys, secrets): 1-127 alphanumerics and hyphens. */
export const OBJECT_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_PATTERN = /^[0-9a-fA-F]{32}$/;
/** Printable ASCII without space: anything else (whitespace, controls, non-ASCII) is refused outright. */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const MAX_LENGTH = 2048;

/**
 * Why a vault (or Managed HSM pool) name is invalid, or undefined when it is valid. Rules: 3-24 characters,
 * letters, digits and hyphens, starts with a letter, ends with a letter or digit, no consecutive hyphens
 * (which also refuses punycode labels such as `xn--...`).
 */
export function vaultNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 24) return `vault name "${name}" must be 3-24 characters`;
  if (!/^[a-zA-Z0-9-]+$/.test(name)) return `vault name "${name}" may hold only letters, digits and hyphens`;
  if (!/^[a-zA-Z]/.test(name)) return `vault name "${name}" must start with a letter`;
  if (!/[a-zA-Z0-9]$/.test(name)) return `vault name "${name}" must end with a letter or digit`;
  if (name.includes('--')) return `vault name "${name}" must not hold consecutive hyphens`;
  return undefined;
}

/**
 * Parses the `https://{vault}.{suffix}` part of a Key Vault or Managed HSM URL (no path, or a single `/`).
 * Returns the normalised parts or a reason. Shared by {@link parseKeyId} and config validation of vault URLs.
 */
export function parseVaultUrl(
  raw: unknown,
): { ok: true; vaultName: string; dnsSuffix: string; kind: KeyVaultKind; vaultUrl: string } | { ok: false; reason: string } {
  const r = splitAuthority(raw);
  if (!r.ok) return r;
  if (r.path !== '' && r.path !== '/') return { ok: false, reason: `a vault URL has no path (found "${r.path}")` };
  return r.host;
}

interface HostParts {
  ok: true;
  vaultName: string;
  dnsSuffix: string;
  kind: KeyVaultKind;
  vaultUrl: string;
}

function splitAuthority(raw: unknown): { ok: true; host: HostParts; path: string } | { ok: false; reason: string } {
  if (typeof raw !== 'string') return { ok: false, reason: `expected a string, got ${raw === null ? 'null' : typeof raw}` };
  if (raw.length === 0) return { ok: false, reason: 'empty string' };
  if (raw.length > MAX_LENGTH) return { ok: false, reason: `longer than ${MAX_LENGTH} characters` };
  if (!PRINTABLE_ASCII.test(raw)) {
    return { ok: false, reason: 'holds whitespace, control or non-ASCII characters' };
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw);
  if (scheme === null) return { ok: false, reason: 'not an absolute URL (expected https://...)' };
  if (scheme[1]!.toLowerCase() !== 'https') return { ok: false, reason: `scheme must be https, not ${scheme[1]!}` };
  if (!raw.slice(scheme[0].length).startsWith('//')) return { ok: false, reason: 'expected "https://" followed by a host' };
  if (raw.includes('\\')) return { ok: false, reason: 'holds a backslash' };
  if (raw.includes('?')) return { ok: false, reason: 'a query string is not allowed' };
  if (raw.includes('#')) return { ok: false, reason: 'a fragment is not allowed' };
  if (raw.includes('%')) return { ok: false, reason: 'percent-encoding is not allowed' };

  const rest = raw.slice(scheme[0].length + 2);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (authority.includes('@')) return { ok: false, reason: 'userinfo (user@) is not allowed' };
  if (authority.includes(':')) return { ok: false, reason: 'an explicit port is not allowed' };
  if (authority.length === 0) return { ok: false, reason: 'missing host' };

  const host = authority.toLowerCase();
  const dot = host.indexOf('.');
  if (dot === -1) return { ok: false, reason: `host "${host}" is not a Key Vault or Managed HSM host` };
  const vaultName = host.slice(0, dot);
  const dnsSuffix = host.slice(dot + 1);
  const kind = Object.prototype.hasOwnProperty.call(KEY_VAULT_DNS_SUFFIXES, dnsSuffix)
    ? KEY_VAULT_DNS_SUFFIXES[dnsSuffix]
    : undefined;
  if (kind === undefined) {
    return {
      ok: false,
      reason: `host "${host}" is not under an accepted Key Vault or Managed HSM suffix (${Object.keys(KEY_VAULT_DNS_SUFFIXES).join(', ')})`,
    };
  }
  const problem = vaultNameProblem(vaultName);
  if (problem !== undefined) return { ok: false, reason: problem };
  return { ok: true, host: { ok: true, vaultName, dnsSuffix, kind, vaultUrl: `https://${host}` }, path };
}

/**
 * Parses a key URI; throws {@link InvalidKeyIdError} naming what is wrong. The host and the version are
 * normalised to lowercase; the key name keeps its case (Key Vault names are case-insensitive, so compare
 * {@link KeyId.versionlessId} case-insensitively).
 */
export function parseKeyId(raw: string): KeyId {
  const shown = typeof raw === 'string' ? JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}...` : raw) : String(typeof raw);
  const fail = (reason: string): never => {
    throw new InvalidKeyIdError(`Invalid key id ${shown}: ${reason}`);
  };
  const r = splitAuthority(raw);
  if (!r.ok) return fail(r.reason);
  const { vaultName, dnsSuffix, kind, vaultUrl } = r.host;

  let path = r.path;
  if (path === '' || path === '/') return fail('missing path /keys/{name}[/{version}]');
  // One optional trailing slash is dropped; a second one leaves an empty segment and is refused below.
  if (path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s.length === 0)) return fail('empty path segment');
  if (segments.some((s) => s === '.' || s === '..')) return fail('dot segments (. or ..) are not allowed');
  const [collection, name, version, ...extra] = segments;
  if (collection !== 'keys') {
    if (collection === 'secrets' || collection === 'certificates') {
      return fail(`a ${collection.slice(0, -1)} id, not a key id (expected /keys/)`);
    }
    return fail(`path must start with /keys/ (found /${collection ?? ''}/)`);
  }
  if (name === undefined) return fail('missing key name after /keys/');
  if (extra.length > 0) return fail('extra path segments after the version');
  if (!OBJECT_NAME_PATTERN.test(name)) return fail(`key name "${name}" does not match ^[0-9a-zA-Z-]{1,127}$`);
  if (version !== undefined && !VERSION_PATTERN.test(version)) {
    return fail(`version "${version}" is not 32 hexadecimal characters`);
  }

  const versionlessId = `${vaultUrl}/keys/${name}`;
  if (version === undefined) {
    return Object.freeze({ vaultName, dnsSuffix, kind, vaultUrl, name, versionlessId, id: versionlessId });
  }
  const v = version.toLowerCase();
  return Object.freeze({ vaultName, dnsSuffix, kind, vaultUrl, name, version: v, versionlessId, id: `${versionlessId}/${v}` });
}

/** `{vault}_{name}_{version}`, or `{vault}_{name}` for a versionless id. */
export function serverKeyName(key: KeyId): string {
  return key.version === undefined ? `${key.vaultName}_${key.name}` : `${key.vaultName}_${key.name}_${key.version}`;
}
