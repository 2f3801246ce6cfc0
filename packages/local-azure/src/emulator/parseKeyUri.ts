/** Key Vault key URIs as Azure SQL reads them: parsed, and turned into the server key name SQL requires. */

/** Parses `https://{vault}.{suffix}/keys/{name}[/{version}]`; undefined when not a key URI. */
export function parseKeyUri(uri: string): { vault: string; host: string; name: string; version?: string } | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:') return undefined;
  const host = u.hostname.toLowerCase();
  if (!/\.(vault|managedhsm)\.(azure\.net|azure\.cn|usgovcloudapi\.net)$/.test(host)) return undefined;
  const m = /^\/keys\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-fA-F]{32}))?\/?$/.exec(u.pathname);
  if (!m?.[1]) return undefined;
  const vault = host.split('.')[0] ?? '';
  return m[2] ? { vault, host, name: m[1], version: m[2] } : { vault, host, name: m[1] };
}

/** The server key name SQL requires for a Key Vault key: `{vault}_{key}_{version}` or `{vault}_{key}`. */
export function serverKeyNameFor(uri: string): string | undefined {
  const k = parseKeyUri(uri);
  if (!k) return undefined;
  return k.version ? `${k.vault}_${k.name}_${k.version}` : `${k.vault}_${k.name}`;
}
