import { describe, expect, it } from 'vitest';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TDE_KEY_V1, TDE_KEY_V2, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';
import { cli, PLAIN, PRIMARY, SECONDARY, TDE_KEY, type StatusJson } from './cliHarness.js';

describe('CLI: status', () => {
  const emulator = useTestEmulator();

  it('reports drift with exit code 2: every server lacks the newest key, managed protectors are behind', async () => {
    const run = await cli(['status', '--json']);

    expect(run.code).toBe(2);
    const report = run.json<StatusJson>();
    expect(report).toMatchObject({ command: 'status', exitCode: 2, summary: { servers: 3, current: 0, drift: 3, error: 0 } });
    const key = report.keys[0]!;
    expect(key).toMatchObject({ key: TDE_KEY, newestVersion: TDE_KEY_V2, status: 'drift' });
    const byServer = Object.fromEntries(key.servers.map((s) => [s.server, s]));
    expect(byServer[PRIMARY]).toMatchObject({
      status: 'drift',
      findings: ['missingNewestKey', 'protectorBehind'],
      hasNewestKey: false,
      protector: { version: TDE_KEY_V1, autoRotationEnabled: false },
    });
    expect(byServer[SECONDARY]!.findings).toEqual(['missingNewestKey', 'protectorBehind']);
    // Discovered with switchProtector false: only the key matters.
    expect(byServer[PLAIN]).toMatchObject({ source: 'discovery', findings: ['missingNewestKey'] });
  });

  it('is clean (exit 0) after a rotation', async () => {
    // Prepare
    await cli(['rotate']);

    // Act
    const run = await cli(['status']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 target\(s\): 3 current, 0 drifting \(0 critical\), 0 error\(s\)/);
    expect(run.stdout).toMatch(/rg-test\/sql-primary\s+server\s+config\s+tde-key\/[0-9a-f]{32}/);
  });

  it('detects drift again when Key Vault gets a newer version', async () => {
    // Prepare
    await cli(['rotate']);
    const v3 = (await emulator.rotateKey('test-tde', 'tde-key')).split('/').pop();

    // Act
    const run = await cli(['status', '--json']);

    // Assess
    expect(run.code).toBe(2);
    const key = run.json<StatusJson>().keys[0]!;
    expect(key.newestVersion).toBe(v3);
    expect(key.servers.find((s) => s.server === PRIMARY)!.findings).toEqual(['missingNewestKey', 'protectorBehind']);
  });

  it('counts a protector behind under Azure auto-rotation as drift, but not an unmanaged one', async () => {
    // Prepare
    await cli(['rotate']);
    // sql-plain: not switched here; with auto-rotation on, Azure is expected to move it.
    const plain = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain');
    expect((await cli(['status'])).code).toBe(0);
    if (plain) plain.protector.autoRotationEnabled = true;

    // Act
    const run = await cli(['status', '--json']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.json<StatusJson>().keys[0]!.servers.find((s) => s.server === PLAIN)!.findings).toEqual(['autoRotationBehind']);
  });

  it('exits 1 when a server cannot be read, and says which', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'operationInterrupted', route: 'arm.encryptionProtectors.get', url: /sql-secondary/ });

    // Act
    const run = await cli(['status', '--json']);

    // Assess
    expect(run.code).toBe(1);
    const secondary = run.json<StatusJson>().keys[0]!.servers.find((s) => s.server === SECONDARY)!;
    expect(secondary.status).toBe('error');
    expect(secondary.error!.code).toBe('OperationInterrupted');
  });
});
