/**
 * `plan`, `status` and `rotate` over the three kinds of TDE target at once (a logical server, a managed instance
 * and a database with its own key), through the real SDK clients against the emulator: one table, one report,
 * one exit code.
 */
import { describe, expect, it } from 'vitest';
import { testDatabaseId, testEstateWithTargetKinds, testManagedInstanceId } from '../support/testEstates.js';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TDE_KEY_V1, TDE_KEY_V2, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';
import { cli, PLAIN, TDE_KEY, type PlanJson, type StatusJson } from './cliHarness.js';

const MI = testManagedInstanceId('mi-1');
const DB = testDatabaseId('sql-plain', 'db-1');
const config = {
  keys: {
    [TDE_KEY]: {
      servers: [
        { id: PLAIN, switchProtector: true },
        { id: MI, switchProtector: true },
        { id: DB, switchProtector: true },
      ],
    },
  },
};

describe('CLI: every kind of target in one table', () => {
  const emulator = useTestEmulator({ estate: testEstateWithTargetKinds() });

  it('status reports drift of a server, a managed instance and a database side by side, exit code 2', async () => {
    const run = await cli(['status', '--json'], { config });
    const table = await cli(['status'], { config });

    expect(run.code).toBe(2);
    const rows = run.json<StatusJson>().keys[0]!.servers;
    expect(rows.map((r) => [r.server, r.targetKind, r.status])).toEqual([
      [PLAIN, 'server', 'drift'],
      [MI, 'managedInstance', 'drift'],
      [DB, 'database', 'drift'],
    ]);
    expect(rows.every((r) => r.protector?.version === TDE_KEY_V1)).toBe(true);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/rg-test\/sql-plain\s+server\s/);
    expect(table.stdout).toMatch(/rg-test\/mi-1\s+managedInstance\s/);
    expect(table.stdout).toMatch(/rg-test\/sql-plain\/db-1\s+database\s/);
  });

  it('plan names the kind of each target and the actions it would take', async () => {
    const run = await cli(['plan', '--json'], { config });

    const servers = run.json<PlanJson>().keys[0]!.servers;
    expect(servers.map((s) => s.targetKind)).toEqual(['server', 'managedInstance', 'database']);
    expect(servers.find((s) => s.targetKind === 'managedInstance')!.actions.map((a) => a.detail)).toEqual([
      `add instance key test-tde_tde-key_${TDE_KEY_V2}`,
      `switch protector from version ${TDE_KEY_V1} to ${TDE_KEY_V2}`,
    ]);
    expect(servers.find((s) => s.targetKind === 'database')!.actions.map((a) => a.action)).toEqual(['addKey', 'switchProtector']);
  });

  it('rotate converges all three, and status is then clean (exit 0)', async () => {
    const rotate = await cli(['rotate'], { config });
    const status = await cli(['status'], { config });

    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toMatch(/managedInstance/);
    expect(rotate.stdout).toMatch(/database/);
    expect(status.code).toBe(0);
    expect(emulator.state.managedInstance(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'mi-1')!.protector.serverKeyName).toBe(`test-tde_tde-key_${TDE_KEY_V2}`);
    expect(emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain')!.databases.get('db-1')!.encryptionProtector).toBe(`${TDE_KEY.replace(/\/$/, '')}/${TDE_KEY_V2}`);
  });
});
