/**
 * `status`: the drift report across configured and discovered servers. Reads only.
 *
 * JSON: the DriftReport (src/app/driftReport.ts) plus `"command": "status"` and `"exitCode"`.
 * Exit 0 = every server on the newest enabled version, 2 = drift, 1 = something could not be read.
 */
import { driftExitCode, driftReport, type DriftFinding, type KeyDrift } from '../../app/driftReport.js';
import type { CliContext } from '../cliContext.js';
import { renderTable, shortServerName } from '../table.js';
import { protectorText, yesNo } from './planCommand.js';

export async function statusCommand(ctx: CliContext): Promise<number> {
  const s = ctx.services();
  const report = await driftReport({ keys: s.keys, sql: s.sql, servers: s.servers, logger: ctx.logger, config: s.config, clock: s.clock });
  const exitCode = driftExitCode(report);
  if (ctx.flags.json) {
    ctx.json({ command: 'status', ...report, exitCode });
    return exitCode;
  }
  const body = report.keys.map(renderKey).join('\n') || 'No key is configured in ROTATION_CONFIG.\n';
  const { servers, current, drift, error } = report.summary;
  ctx.out(`${body}\n${servers} server(s): ${current} current, ${drift} drifting, ${error} error(s)\n`);
  return exitCode;
}

const FINDING_TEXT: Record<DriftFinding, string> = {
  missingNewestKey: 'newest key missing',
  protectorBehind: 'protector on an older version',
  protectorNotNewest: 'protector not on the newest enabled version',
  protectorOtherKey: 'protector on another key',
  protectorServiceManaged: 'protector service-managed',
};

function renderKey(k: KeyDrift): string {
  if (k.error) return `Key ${k.key}\nERROR (${k.error.code}): ${k.error.message}\n`;
  const head = `Key ${k.key}\nNewest enabled version ${k.newestVersion ?? '?'} (created ${k.newestCreatedOn ?? '?'})`;
  if (k.servers.length === 0) return `${head}\nNo server is configured or discovered for this key.\n`;
  const table = renderTable(
    ['SERVER', 'SOURCE', 'PROTECTOR', 'VERSION CREATED', 'AUTO-ROTATION', 'HAS NEWEST', 'STATUS', 'FINDINGS'],
    k.servers.map((x) => [
      shortServerName(x.server),
      x.source,
      x.error ? '?' : protectorText(x.protector),
      x.protectorVersionCreatedOn ?? '',
      x.protector ? yesNo(x.protector.autoRotationEnabled) : '?',
      x.hasNewestKey === undefined ? '?' : yesNo(x.hasNewestKey),
      x.status,
      x.error ? `${x.error.code}: ${x.error.message}` : x.findings.map((f) => FINDING_TEXT[f]).join('; '),
    ]),
    100,
  );
  return `${head}\n${table}`;
}
