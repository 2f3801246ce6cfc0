import { describe, expect, it } from 'vitest';
import { ACTIONABLE_FINDINGS, DRIFT_EXIT_CODES, driftExitCode, driftReport } from '../../src/app/driftReport.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { AUTO, KEY, PLAIN, PRIMARY, SECONDARY, SUB, V1, V2, V3, keyName, keyVersion, protectorOn, reconcileFixture, standardEstate } from '../support/reconcileFixture.js';

const SERVICE_UNAVAILABLE = (): RotationError => new RotationError('ServiceUnavailable', 'retriable', 'down', { details: { statusCode: 503 } });

/** The estate on V3 everywhere: nothing to do. */
function converged() {
  const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }, { id: AUTO, switchProtector: true }] });
  const k3 = { [keyName(V3)]: `${KEY}/${V3}` };
  f.sql.addServer(PLAIN, protectorOn(V3), k3).addServer(AUTO, protectorOn(V3, true), k3);
  return f;
}

describe('Function: driftReport', () => {
  it('reports every target of the key with its findings, geo secondaries first, and sums them up', async () => {
    // Prepare
    const f = reconcileFixture();
    standardEstate(f.sql);

    // Act
    const report = await driftReport(f.deps);

    // Assess
    expect(report.generatedAt).toBe(f.clock.now().toISOString());
    expect(report.keys).toHaveLength(1);
    const key = report.keys[0]!;
    expect(key).toMatchObject({ key: KEY, newestVersion: V3, serverKeyName: keyName(V3), status: 'drift' });
    expect(key.error).toBeUndefined();
    expect(key.servers.map((s) => [s.server, s.role, s.status, s.findings])).toEqual([
      [SECONDARY, 'geoSecondary', 'drift', ['missingNewestKey', 'protectorBehind']],
      [PRIMARY, 'geoPrimary', 'drift', ['missingNewestKey', 'protectorBehind']],
      [PLAIN, 'standalone', 'drift', ['missingNewestKey', 'protectorBehind']],
      [AUTO, 'standalone', 'drift', ['missingNewestKey', 'autoRotationBehind']],
    ]);
    expect(key.servers[2]).toEqual({
      server: PLAIN,
      targetKind: 'server',
      source: 'config',
      role: 'standalone',
      switchProtector: true,
      protector: { serverKeyType: 'AzureKeyVault', serverKeyName: keyName(V1), keyUri: `${KEY}/${V1}`, key: KEY, version: V1, autoRotationEnabled: false },
      hasNewestKey: false,
      status: 'drift',
      findings: ['missingNewestKey', 'protectorBehind'],
    });
    expect(key.servers[3]?.note).toBeDefined();
    expect(report.summary).toEqual({ servers: 4, current: 0, drift: 4, error: 0, critical: 0 });
    expect(driftExitCode(report)).toBe(DRIFT_EXIT_CODES.drift);
  });

  it('reports a converged estate as current, exit code 0', async () => {
    const f = converged();

    const report = await driftReport(f.deps);

    expect(report.keys[0]?.status).toBe('current');
    expect(report.keys[0]?.servers.map((s) => [s.status, s.findings, s.hasNewestKey])).toEqual([
      ['current', [], true],
      ['current', [], true],
    ]);
    expect(report.summary).toEqual({ servers: 2, current: 2, drift: 0, error: 0, critical: 0 });
    expect(driftExitCode(report)).toBe(0);
  });

  it('lets Azure catch up an auto-rotation protector only as a finding, never as an action', async () => {
    const f = converged();
    f.sql.setProtector(AUTO, protectorOn(V2, true));

    const report = await driftReport(f.deps);

    expect(report.keys[0]?.servers[1]).toMatchObject({ server: AUTO, status: 'drift', findings: ['autoRotationBehind'] });
    expect(ACTIONABLE_FINDINGS.has('autoRotationBehind')).toBe(false);
    expect([...ACTIONABLE_FINDINGS].sort()).toEqual(['missingNewestKey', 'protectorBehind']);
  });

  it('does not call an auto-rotation protector on another key, or versionless, behind', async () => {
    const f = converged();
    f.sql.setProtector(AUTO, { ...protectorOn(V2, true), uri: `https://contoso-tde.vault.azure.net/keys/other-key/${V2}` });
    f.sql.setProtector(PLAIN, { ...protectorOn(undefined, true) });

    const report = await driftReport(f.deps);

    expect(report.keys[0]?.servers.map((s) => s.findings)).toEqual([[], []]);
  });

  it('reports a protector on a disabled version as critical drift', async () => {
    const f = converged();
    f.keys.update(`${KEY}/${V3}`, { enabled: false });
    f.keys.add(keyVersion('4'.repeat(32), '2026-05-15T00:00:00Z'));

    const report = await driftReport(f.deps);

    const row = report.keys[0]!.servers[0]!;
    expect(row.findings).toContain('protectorVersionUnusable');
    expect(row.critical).toMatchObject({ version: V3 });
    expect(row.status).toBe('drift');
    // The auto-rotation server on the same version is critical too: Azure moves its protector, but until it does,
    // the server cannot use the disabled version.
    expect(report.keys[0]!.servers[1]!.critical).toMatchObject({ version: V3, code: 'AzureKeyVaultKeyDisabled' });
    expect(report.summary.critical).toBe(2);
  });

  it('reports a target it cannot read as an error row, exit code 1 even beside drift', async () => {
    // Prepare
    const f = converged();
    f.sql.setProtector(AUTO, protectorOn(V1));
    f.sql.readFaults.failAlways(PLAIN, SERVICE_UNAVAILABLE());

    // Act
    const report = await driftReport(f.deps);

    // Assess
    expect(report.keys[0]?.status).toBe('drift');
    expect(report.keys[0]?.servers[0]).toMatchObject({ server: PLAIN, status: 'error', findings: [], error: { code: 'ServiceUnavailable', message: 'down' } });
    expect(report.summary).toEqual({ servers: 2, current: 0, drift: 1, error: 1, critical: 0 });
    expect(driftExitCode(report)).toBe(DRIFT_EXIT_CODES.error);
  });

  it('reports a key whose target only errs as error', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V3), {});
    f.sql.readFaults.failAlways(PLAIN, SERVICE_UNAVAILABLE());

    const report = await driftReport(f.deps);

    expect(report.keys[0]?.status).toBe('error');
  });

  it('reports a key whose versions cannot be read as an error of the key, without rows', async () => {
    const f = converged();
    f.keys.listFaults.failAlways(KEY, SERVICE_UNAVAILABLE());

    const report = await driftReport(f.deps);

    expect(report.keys).toEqual([{ key: KEY, status: 'error', servers: [], error: { code: 'ServiceUnavailable', message: 'down' } }]);
    expect(report.summary).toEqual({ servers: 0, current: 0, drift: 0, error: 1, critical: 0 });
    expect(driftExitCode(report)).toBe(1);
  });

  it('reports only the keys it is given', async () => {
    const f = converged();
    const other = { key: parseKeyId('https://contoso-tde.vault.azure.net/keys/other-key'), servers: [{ id: `${SUB}/sql-x`, switchProtector: false }] };

    const report = await driftReport(f.deps, [other]);

    expect(report.keys.map((k) => k.key)).toEqual(['https://contoso-tde.vault.azure.net/keys/other-key']);
    expect(report.keys[0]?.status).toBe('error');
  });
});
