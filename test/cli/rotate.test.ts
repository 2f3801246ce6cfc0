import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestEmulator } from '../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';
import { cli, PLAIN, PRIMARY, SECONDARY, SteppingClock, TDE_KEY, testRotationConfig, type RotateJson } from './cliHarness.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('CLI: rotate', () => {
  let emulatorOffsetMs = 0;
  const emulator = useTestEmulator({ clock: () => Date.now() + emulatorOffsetMs });
  let receiver: Receiver;
  const server = (name: string) => emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, name);
  /** Every test starts from a new key version, so that every server has work to do. */
  const newVersion = async (): Promise<{ version: string; name: string }> => {
    // Key Vault times versions in seconds: two versions made in the same second cannot be ordered.
    emulatorOffsetMs += 2_000;
    const version = (await emulator.rotateKey('test-tde', 'tde-key', { kty: 'RSA', keySize: 2048 })).split('/').pop() ?? '';
    return { version, name: `test-tde_tde-key_${version}` };
  };

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => {
    receiver.status = 200;
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('runs the plan: keys everywhere, secondary before primary, protectors switched where configured', async () => {
    // Prepare
    const v = await newVersion();
    emulator.stats.reset();

    // Act
    const run = await cli(['rotate', '--json']);

    // Assess
    expect(run.code).toBe(0);
    const result = run.json<RotateJson>().keys[0]!;
    expect(result).toMatchObject({ key: TDE_KEY, version: v.version, summary: { rotated: 3, skipped: 0, deferred: 0, failed: 0 } });
    expect(result.outcomes.map((o) => o.target)).toEqual([SECONDARY, PRIMARY, PLAIN]);
    expect(server('sql-primary')?.protector.serverKeyName).toBe(v.name);
    expect(server('sql-secondary')?.protector.serverKeyName).toBe(v.name);
    expect(server('sql-plain')?.keys.has(v.name.toLowerCase())).toBe(true);
    expect(server('sql-plain')?.protector.serverKeyName).not.toBe(v.name);
    const keyPuts = emulator.stats.log.filter((e) => e.route === 'arm.serverKeys.createOrUpdate').map((e) => e.url);
    expect(keyPuts[0]).toContain('/servers/sql-secondary/');
    expect(keyPuts.findIndex((u) => u.includes('/servers/sql-primary/'))).toBeGreaterThan(0);
  });

  it('retries a throttled server with the configured policy, waiting in-process, and ends rotated', async () => {
    // Prepare
    await newVersion();
    // The SDK retries twice itself; the third 429 reaches our retry rules.
    emulator.faults.inject({ kind: 'throttle', route: 'arm.serverKeys.createOrUpdate', url: /sql-plain/, times: 3, retryAfterSeconds: 0 });
    const clock = new SteppingClock();

    // Act
    const run = await cli(['rotate', '--json'], { runtime: { clock, sleep: clock.sleep } });

    // Assess
    expect(run.code).toBe(0);
    const plain = run.json<RotateJson>().keys[0]!.outcomes.find((o) => o.target === PLAIN)!;
    expect(plain.kind).toBe('rotated');
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThan(0);
  });

  it('gives up after the configured attempts and exits 1 with the failure in the table', async () => {
    // Prepare
    await newVersion();
    emulator.faults.inject({ kind: 'throttle', route: 'arm.serverKeys.createOrUpdate', url: /sql-plain/, retryAfterSeconds: 0 });
    const clock = new SteppingClock();
    const config = testRotationConfig({ retry: { baseSeconds: 1, capSeconds: 2, maxAttempts: 2 } });

    // Act
    const run = await cli(['rotate'], { config, runtime: { clock, sleep: clock.sleep } });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/rg-test\/sql-plain\s+server\s+failed\s+TooManyRequests\s+Gave up after 2 attempts/);
    expect(run.stdout).toMatch(/2 rotated, 1 failed/);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('draws a progress line on a TTY and none with --json', async () => {
    const v = await newVersion();
    const tty = await cli(['rotate'], { tty: true });
    const json = await cli(['rotate', '--json'], { tty: true });

    expect(tty.stderr).toContain(`\r\x1b[2Ktde-key ${v.version.slice(0, 8)} [${'#'.repeat(24)}] 3/3`);
    expect(tty.stdout).toMatch(/TARGET\s+KIND\s+OUTCOME\s+CODE\s+DETAIL/);
    expect(json.stderr).toBe('');
  });

  it('notifies the completed rotation to the webhook: vault, key, version, each server and its outcome', async () => {
    // Prepare
    const v = await newVersion();
    receiver.received.length = 0;
    const config = testRotationConfig({ notifications: { webhookUrl: receiver.url, format: 'generic' } });

    // Act
    const run = await cli(['rotate'], { config });

    // Assess
    expect(run.code).toBe(0);
    expect(receiver.received).toHaveLength(1);
    const body = JSON.parse(receiver.received[0]?.body ?? '{}');
    expect(body).toMatchObject({
      source: 'sql-key-rotation',
      kind: 'rotationCompleted',
      vault: 'test-tde',
      key: 'tde-key',
      version: v.version,
      trigger: 'cli',
      summary: { rotated: 3, failed: 0 },
    });
    expect(body.servers.map((s: { server: string; outcome: string }) => [s.server, s.outcome])).toEqual([
      [SECONDARY, 'rotated'],
      [PRIMARY, 'rotated'],
      [PLAIN, 'rotated'],
    ]);
  });

  it('still succeeds, with a warning, when the webhook refuses the notification', async () => {
    // Prepare
    await newVersion();
    receiver.status = 400;
    const config = testRotationConfig({ notifications: { webhookUrl: receiver.url, format: 'slack' } });

    // Act
    const run = await cli(['rotate'], { config });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: Notification not delivered: webhook answered 400/);
    expect(run.stderr).not.toContain('secret-token-in-path');
  });

  // Last: Key Vault orders versions by creation second, so a version made right after this one could tie with it.
  it('exits 1, says why, and writes nothing when the newest version would be refused', async () => {
    // Prepare
    emulatorOffsetMs += 2_000;
    await emulator.rotateKey('test-tde', 'tde-key', { kty: 'EC', keySize: 256 });
    emulator.stats.reset();

    // Act
    const run = await cli(['rotate']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/REFUSED \(AzureKeyVaultRsaKeyNotSupported\): newer version [0-9a-f]{32} passed over/);
    expect(emulator.stats.writes).toBe(0);
  });
});
