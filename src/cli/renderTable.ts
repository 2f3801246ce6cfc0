/**
 * Plain-text tables for humans: a header, a rule, left-aligned columns, no colours (so output can be piped,
 * diffed and pasted into a ticket). Machines use `--json`.
 */

/** Renders rows under headers; cells are trimmed to `maxCellWidth` characters. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], maxCellWidth = 80): string {
  const clip = (s: string): string => (s.length <= maxCellWidth ? s : `${s.slice(0, maxCellWidth - 1)}…`);
  const cells = [headers, ...rows].map((r) => headers.map((_, i) => clip((r[i] ?? '').replace(/\s+/g, ' '))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/**
 * `resourceGroup/server` from a server ARM id (`rg/server/agent` for a sync agent, `rg/server/database` for a
 * database, `rg/instance` for a managed instance); the input otherwise.
 */
export function shortServerName(id: string): string {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/(?:servers|managedInstances)\/([^/]+)(?:\/(?:syncAgents|databases)\/([^/]+))?/i.exec(id);
  if (!m) return id;
  return m[3] === undefined ? `${m[1]}/${m[2]}` : `${m[1]}/${m[2]}/${m[3]}`;
}
