/**
 * `plan [--key URI] [--version V]`: the dry run: exactly what `reconcile` would do, target by target, in order
 * (the reconciler's own decision, see src/app/planTarget.ts). Reads only.
 *
 * JSON (`--json`): `{ "command": "plan", "keys": KeyPlan[] }` (see src/app/planRotation.ts). Exit 0, or 1 when
 * something could not be read (a server's protector, the key).
 */
import { planRotation, type KeyPlan, type PlannedAction, type ProtectorSummary } from '../../app/planRotation.js';
import { EXIT } from '../cliUsageError.js';
import type { CliContext } from '../cliContext.js';
import { renderTable, shortServerName } from '../renderTable.js';
import { selectKeys } from './selectKeys.js';

export async function planCommand(ctx: CliContext, opts: { key?: string; version?: string }): Promise<number> {
  const s = ctx.services();
  const deps = { keys: s.keys, sql: s.sql, servers: s.servers, logger: ctx.logger, config: s.config, clock: s.clock };
  const plans: KeyPlan[] = [];
  for (const sel of selectKeys(s.config, opts)) {
    plans.push(await planRotation(deps, sel.version === undefined ? { target: sel.target } : { target: sel.target, version: sel.version }));
  }
  if (ctx.flags.json) ctx.json({ command: 'plan', keys: plans });
  else ctx.out(plans.map(renderPlan).join('\n') || 'No key is configured in ROTATION_CONFIG.\n');
  return plans.some((p) => p.servers.some((x) => x.error !== undefined)) ? EXIT.error : EXIT.ok;
}

function renderPlan(p: KeyPlan): string {
  const lines = [`Key ${p.key}`, `Desired version ${p.version ?? '?'} (newest allowed), server key name ${p.serverKeyName ?? '?'}`];
  for (const r of p.refused ?? []) lines.push(`Passed over: newer version ${r.version} (${r.code}): ${r.reason}`);
  if (p.hintNotUsed !== undefined) lines.push(`--version ${p.hintNotUsed} is a hint only: the newest allowed version wins.`);
  if (p.servers.length === 0) return `${lines.join('\n')}\nNo target is configured or discovered for this key.\n`;
  const servers = renderTable(
    ['TARGET', 'KIND', 'SOURCE', 'ROLE', 'PROTECTOR', 'AUTO-ROTATION', 'SWITCH', 'HAS KEY', 'NOTE'],
    p.servers.map((x) => [
      shortServerName(x.server),
      x.targetKind,
      x.source,
      x.role,
      x.error ? `error: ${x.error.code}` : protectorText(x.protector),
      x.protector ? yesNo(x.protector.autoRotationEnabled) : '?',
      yesNo(x.switchProtector),
      x.hasKey === undefined ? '?' : yesNo(x.hasKey),
      x.critical ? `CRITICAL: protector version ${x.critical.code}` : (x.note ?? ''),
    ]),
    140,
  );
  const rows = p.servers.flatMap((x) => [
    ...x.actions.map((a) => [String(a.step), shortServerName(x.server), ACTION_TEXT[a.action], a.detail]),
    ...(x.error ? [['-', shortServerName(x.server), 'error', `${x.error.code}: ${x.error.message}`]] : []),
  ]);
  const steps = rows.length === 0 ? 'Nothing to do: every target is converged.\n' : `Actions, in order:\n${renderTable(['STEP', 'TARGET', 'ACTION', 'DETAIL'], rows, 120)}`;
  return `${lines.join('\n')}\n\n${servers}\n${steps}`;
}

/** `key/version` of a protector (`service-managed` otherwise). */
export function protectorText(p: ProtectorSummary | undefined): string {
  if (!p) return '?';
  if (p.serverKeyType !== 'AzureKeyVault') return 'service-managed';
  if (p.key === undefined) return p.serverKeyName;
  const name = p.key.slice(p.key.lastIndexOf('/') + 1);
  return `${name}/${p.version ?? '(versionless)'}`;
}

/** How the ACTION column names each planned action. */
const ACTION_TEXT: Readonly<Record<PlannedAction['action'], string>> = { addKey: 'add key', switchProtector: 'switch protector' };

export function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}
