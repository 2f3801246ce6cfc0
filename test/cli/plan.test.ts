import { describe, expect, it } from 'vitest';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TDE_KEY_V1, TDE_KEY_V2, TDE_KEY_V2_NAME, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';
import { cli, PLAIN, PRIMARY, SECONDARY, TDE_KEY, testRotationConfig, type PlanJson } from './cliHarness.js';

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

describe('CLI: plan', () => {
  const emulator = useTestEmulator();

  it('plans the newest enabled version: geo secondary first, primary after it, discovered server only gets the key', async () => {
    const run = await cli(['plan', '--json']);

    expect(run.code).toBe(0);
    const plan = run.json<PlanJson>().keys[0]!;
    expect(plan).toMatchObject({ key: TDE_KEY, version: TDE_KEY_V2, serverKeyName: TDE_KEY_V2_NAME });
    expect(plan.servers.map((s) => [s.server, s.source, s.role])).toEqual([
      [SECONDARY, 'config', 'geoSecondary'],
      [PRIMARY, 'config', 'geoPrimary'],
      [PLAIN, 'discovery', 'standalone'],
    ]);
    expect(plan.servers[1]!.protector).toMatchObject({ version: TDE_KEY_V1, autoRotationEnabled: false, serverKeyType: 'AzureKeyVault' });
    const steps = plan.servers.flatMap((s) => s.actions.map((a) => `${a.step} ${s.server.split('/').pop()} ${a.action}`));
    expect(steps).toEqual([
      '1 sql-secondary addKey',
      '2 sql-secondary switchProtector',
      '3 sql-primary addKey',
      '4 sql-primary switchProtector',
      '5 sql-plain addKey',
    ]);
    expect(plan.servers[2]!.note).toBe('protector not managed here (switchProtector is false)');
  });

  it('makes no write: the emulator sees only reads', async () => {
    // Prepare
    emulator.stats.reset();

    // Act
    const run = await cli(['plan']);

    // Assess
    expect(run.code).toBe(0);
    expect(emulator.stats.requests).toBeGreaterThan(0);
    expect(emulator.stats.log.filter((e) => WRITES.has(e.method)).map((e) => `${e.method} ${e.route}`)).toEqual([]);
    expect(emulator.stats.writes).toBe(0);
  });

  it('says the protector is left to Azure when auto-rotation is on', async () => {
    // Prepare
    const primary = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary');
    if (!primary) throw new Error('no sql-primary in the test estate');
    primary.protector.autoRotationEnabled = true;

    // Act
    const plan = (await cli(['plan', '--json'])).json<PlanJson>().keys[0]!;
    primary.protector.autoRotationEnabled = false;

    // Assess
    const p = plan.servers.find((s) => s.server === PRIMARY)!;
    expect(p.protector!.autoRotationEnabled).toBe(true);
    expect(p.actions.map((a) => a.action)).toEqual(['addKey']);
    expect(p.note).toMatch(/auto-rotation/);
  });

  it('prints human tables by default', async () => {
    const run = await cli(['plan']);

    expect(run.stdout).toContain(`Key ${TDE_KEY}`);
    expect(run.stdout).toContain('newest allowed');
    expect(run.stdout).toMatch(/TARGET\s+KIND\s+SOURCE\s+ROLE\s+PROTECTOR/);
    expect(run.stdout).toMatch(/1\s+rg-test\/sql-secondary\s+add key/);
    expect(run.stdout).toMatch(/4\s+rg-test\/sql-primary\s+switch protector/);
  });

  it('rejects a key that is not configured, naming the configured ones', async () => {
    const run = await cli(['plan', '--key', 'https://test-tde.vault.azure.net/keys/other-key']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: key https://test-tde.vault.azure.net/keys/other-key is not in ROTATION_CONFIG');
    expect(run.stderr).toContain(TDE_KEY);
    expect(run.stdout).toBe('');
  });

  it('rejects a malformed version and an unknown option', async () => {
    const bad = await cli(['plan', '--key', TDE_KEY, '--version', 'nope']);
    const unknown = await cli(['plan', '--frobnicate']);

    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--version nope is not a key version');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('reports an invalid ROTATION_CONFIG as one error listing the problems', async () => {
    const run = await cli(['plan'], { config: { keys: { 'http://nope/keys/x': { servers: 'no' } } } });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: ROTATION_CONFIG: Invalid configuration/);
  });

  it('maps an unreachable Key Vault to one line, exit 1, no stack trace', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'connectionReset', url: /test-tde\.vault\.azure\.net/ });

    // Act
    const run = await cli(['plan'], { config: testRotationConfig() });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot reach Azure \(vault test-tde, tde-key\)/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  // From here on the estate changes: rotated to V2, then a refused V3.
  it('treats --version as a hint: an older version plans nothing, the protector never goes backwards', async () => {
    // Prepare
    await cli(['rotate', '--key', TDE_KEY]);

    // Act
    const plan = (await cli(['plan', '--key', TDE_KEY, '--version', TDE_KEY_V1, '--json'])).json<PlanJson>().keys[0]!;

    // Assess
    expect(plan.version).toBe(TDE_KEY_V2);
    expect(plan.hintNotUsed).toBe(TDE_KEY_V1);
    const p = plan.servers.find((s) => s.server === PRIMARY)!;
    expect(p.actions).toEqual([]);
    expect(p.note).toBe('protector already on this version');
  });

  it('passes over a newer version Azure would refuse, saying why, and plans nothing for it', async () => {
    // Prepare
    const v3 = (await emulator.rotateKey('test-tde', 'tde-key', { keySize: 1024 })).split('/').pop() ?? '';

    // Act
    const run = await cli(['plan', '--json']);

    // Assess
    const plan = run.json<PlanJson>().keys[0]!;
    expect(plan.version).toBe(TDE_KEY_V2);
    expect(plan.refused).toEqual([expect.objectContaining({ version: v3, code: 'AzureKeyVaultRsaKeyNotSupported' })]);
    expect(plan.servers.every((s) => s.actions.length === 0)).toBe(true);
    const text = await cli(['plan']);
    expect(text.stdout).toContain(`Passed over: newer version ${v3} (AzureKeyVaultRsaKeyNotSupported)`);
  });
});
