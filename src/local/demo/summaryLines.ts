/** The demo's printed tables and summary, rendered with the CLI's table renderer (src/cli/renderTable.ts). */
import { renderTable } from '../../cli/renderTable.js';
import { shortenArmIds } from '../host/formatLogRecord.js';
import { DEMO_SECRET_VAULT, type DemoServerSummary, type DemoSummary } from './readDemoSummary.js';

/**
 * The servers as a table: name, protector; with `newVersion`, also whether each holds it and what its protector
 * is on. One string per line.
 */
export function serverTable(servers: readonly DemoServerSummary[], newVersion?: string): string[] {
  const name = (s: DemoServerSummary): string =>
    s.server + (s.kind === 'server' ? '' : s.kind === 'managedInstance' ? ' (managed instance)' : ' (database key)') + (s.geoPrimary === undefined ? '' : ` (geo secondary of ${s.geoPrimary})`);
  const protector = (s: DemoServerSummary): string => (s.autoRotation ? `${s.protector} (auto-rotation)` : s.protector);
  const table =
    newVersion === undefined
      ? renderTable(['target', 'TDE protector'], servers.map((s) => [name(s), protector(s)]))
      : renderTable(
          ['target', 'has new key', 'TDE protector', 'protector is'],
          servers.map((s) => [name(s), s.hasNewKey ? 'yes' : 'NO', protector(s), protectorIs(s, newVersion)]),
        );
  return table.trimEnd().split('\n');
}

function protectorIs(s: DemoServerSummary, newVersion: string): string {
  if (s.protectorVersion === newVersion) return 'new version';
  if (s.autoRotation) return 'versionless: the server follows the key itself';
  return s.protectorVersion === undefined ? '' : 'old version';
}

/** The readable summary printed at the end of the demo (ARM ids shortened). */
export function summaryLines(s: DemoSummary): string[] {
  const keyed = s.servers.filter((x) => x.hasNewKey).length;
  const lines = [
    `Summary (${(s.elapsedMs / 1000).toFixed(1)} s): key ${s.keyId}`,
    ...serverTable(s.servers, s.version).map((l) => `  ${l}`),
    '',
    `  keys for the new version: ${keyed} of ${s.servers.length} targets (${s.servers.filter((x) => x.kind === 'server').length} servers, ${s.servers.filter((x) => x.kind === 'managedInstance').length} managed instance(s), ${s.servers.filter((x) => x.kind === 'database').length} database(s) with their own key)${keyed === s.servers.length ? '' : ' (INCOMPLETE)'}`,
    `  protectors switched to the new version: ${s.servers.filter((x) => x.protectorVersion === s.version).length}` +
      ` (auto-rotation targets keep their versionless protector: ${s.servers.filter((x) => x.autoRotation).length})`,
    `  ARM 429 answers: ${s.throttled} (retried through the local backoff queue); events delivered: ${s.eventsDelivered}`,
    ...s.syncAgents.map((a) => `  sync agent ${a.agent}: ${a.keyGenerations} key(s) generated`),
    ...s.secrets.map((x) => `  secret ${x.name} in ${DEMO_SECRET_VAULT}: ${x.versions} version(s) (value never printed)`),
    `  dead letters: ${s.deadLetters}`,
  ];
  return lines.map(shortenArmIds);
}
