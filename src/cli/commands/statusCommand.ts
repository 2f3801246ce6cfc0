/**
 * `status`: the drift report across configured and discovered servers. Reads only.
 *
 * JSON: the DriftReport (src/app/driftReport.ts) plus `"command": "status"` and `"exitCode"`.
 * Exit 0 = every target converged, 2 = drift (critical included), 1 = something could not be read.
 */
import { driftExitCode, driftReport, type DriftFinding, type KeyDrift } from '../../app/driftReport.js';
import { planDeps } from '../../compositionRoot.js';
import type { CliContext } from '../cliContext.js';
import { renderTable, shortServerName } from '../renderTable.js';
import { protectorText, yesNo } from './planCommand.js';

export async function statusCommand(ctx: CliContext): Promise<number> {
  const s = ctx.services();
  const report = await driftReport(planDeps(s, ctx.logger));
  const exitCode = driftExitCode(report);
  if (ctx.flags.json) {
    ctx.json({ command: 'status', ...report, exitCode });
    return exitCode;
  }
  const body = report.keys.map(renderKey).join('\n') || 'No key is configured in ROTATION_CONFIG.\n';
  const { servers, current, drift, error, critical } = report.summary;
  ctx.out(`${body}\n${servers} target(s): ${current} current, ${drift} drifting (${critical} critical), ${error} error(s)\n`);
  return exitCode;
}

const FINDING_TEXT: Record<DriftFinding, string> = {
  missingNewestKey: 'newest key missing',
  protectorBehind: 'protector on an older version',
  protectorVersionUnusable: 'CRITICAL: protector version unusable',
  autoRotationBehind: 'auto-rotation has not moved the protector yet',
};

function renderKey(k: KeyDrift): string {
  if (k.error) return `Key ${k.key}\nERROR (${k.error.code}): ${k.error.message}\n`;
  const head = `Key ${k.key}\nNewest allowed version ${k.newestVersion ?? '?'}`;
  if (k.servers.length === 0) return `${head}\nNo server is configured or discovered for this key.\n`;
  const table = renderTable(
    ['TARGET', 'KIND', 'SOURCE', 'PROTECTOR', 'AUTO-ROTATION', 'HAS NEWEST', 'STATUS', 'FINDINGS'],
    k.servers.map((x) => [
      shortServerName(x.server),
      x.targetKind,
      x.source,
      x.error ? '?' : protectorText(x.protector),
      x.protector ? yesNo(x.protector.autoRotationEnabled) : '?',
      x.hasNewestKey === undefined ? '?' : yesNo(x.hasNewestKey),
      x.status,
      x.error ? `${x.error.code}: ${x.error.message}` : [...x.findings.map((f) => FINDING_TEXT[f]), ...(x.note ? [x.note] : [])].join('; '),
    ]),
    100,
  );
  return `${head}\n${table}`;
}
