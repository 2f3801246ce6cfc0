import { describe, expect, it } from 'vitest';
import { desiredVersion } from '../../src/app/desiredVersion.js';
import { KeyedLock } from '../../src/app/keyedLock.js';
import { NO_NOTIFIER } from '../../src/app/noNotifier.js';
import { planRotation, type PlanDeps } from '../../src/app/planRotation.js';
import { reconcileTarget, type ReconcileDeps } from '../../src/app/reconcileTarget.js';
import type { EncryptionProtector } from '../../src/app/ports.js';
import type { KeyTarget } from '../../src/config/appConfig.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSqlServerKeys } from '../support/fakes/fakeSqlServerKeys.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/servers';
const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V1 = '1'.repeat(32);
const V2 = '2'.repeat(32);
const V3 = '3'.repeat(32);
const name = (v: string) => `contoso-tde_tde-key_${v}`;

function keys(): FakeKeyReader {
  const k = (version: string, createdOn: string, enabled = true) => ({
    id: `${KEY}/${version}`,
    version,
    enabled,
    keyType: 'RSA',
    keySize: 2048,
    createdOn: new Date(createdOn),
  });
  return new FakeKeyReader()
    .add(k(V1, '2025-01-01T00:00:00Z'))
    .add(k(V2, '2025-06-01T00:00:00Z'))
    .add(k(V3, '2025-09-01T00:00:00Z', false));
}

const protector = (v: string, autoRotationEnabled = false): EncryptionProtector => ({
  serverKeyName: name(v),
  serverKeyType: 'AzureKeyVault',
  uri: `${KEY}/${v}`,
  autoRotationEnabled,
});

/** Servers in every protector situation the decision knows. */
const SCENARIOS: [string, EncryptionProtector, boolean][] = [
  ['older', protector(V1), true],
  ['same', protector(V2), true],
  ['newer', protector(V3), true],
  ['auto', protector(V1, true), true],
  ['service', { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false }, true],
  ['other', { ...protector(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, true],
  ['unmanaged', protector(V1), false],
];

function setup() {
  const sql = new FakeSqlServerKeys();
  for (const [n, p] of SCENARIOS) sql.addServer(`${SUB}/sql-${n}`, p);
  const target: KeyTarget = { key: parseKeyId(KEY), servers: SCENARIOS.map(([n, , switchProtector]) => ({ id: `${SUB}/sql-${n}`, switchProtector })) };
  const config = { keys: new Map([[KEY, target]]), fanOut: { inlineLimit: 10, concurrency: 4 } };
  const deps: PlanDeps & ReconcileDeps = {
    keys: keys(),
    sql,
    servers: new FakeServerDirectory(),
    logger: new CaptureLogger(),
    config,
    clock: new FakeClock(),
    queue: new FakeWorkQueue(),
    failures: new FakeFailureSink(),
    random: () => 0.5,
    policy: { baseMs: 1_000, capMs: 60_000, maxAttempts: 4, orderDelayMs: 30_000, orderMaxAttempts: 5 },
    locks: new KeyedLock(),
    notifier: NO_NOTIFIER,
  };
  return { sql, target, deps };
}

describe('Function: desiredVersion', () => {
  it('picks the newest enabled version by creation time, skipping disabled ones', async () => {
    const d = await desiredVersion(keys(), parseKeyId(KEY), new Date('2026-01-01T00:00:00Z'));
    expect({ version: d.version, createdOn: d.createdOn }).toEqual({ version: V2, createdOn: new Date('2025-06-01T00:00:00Z') });
  });

  it('refuses a key without an enabled version', async () => {
    await expect(desiredVersion(keys(), parseKeyId('https://contoso-tde.vault.azure.net/keys/none'), new Date())).rejects.toMatchObject({
      code: 'NoEnabledKeyVersion',
    });
  });
});

describe('Function: planRotation', () => {
  it('agrees with the rotation: the plan switches exactly the protectors the rotation switches', async () => {
    // Prepare
    const { sql, target, deps } = setup();

    // Act
    const plan = await planRotation(deps, { target });
    expect(sql.writes).toEqual([]);
    for (const s of plan.servers) {
      await reconcileTarget(deps, { kind: 'reconcile', key: KEY, target: s.server, attempt: 1, firstSeen: '2026-01-01T00:00:00Z', correlationId: 'c' });
    }

    // Assess
    const planned = plan.servers.flatMap((s) => s.actions.map((a) => `${a.action}:${s.server.split('/').at(-1) ?? ''}`));
    const done = sql.writes.map((w) => `${w.op === 'upsertKey' ? 'addKey' : 'switchProtector'}:${w.server.split('/').at(-1) ?? ''}`);
    expect(planned.filter((p) => p.startsWith('switchProtector'))).toEqual(['switchProtector:sql-older']);
    expect(done).toEqual(planned);
  });

  it('gives each protector left alone its reason', async () => {
    // Prepare
    const { target, deps } = setup();

    // Act
    const plan = await planRotation(deps, { target });

    // Assess
    const skip = (n: string) => plan.servers.find((s) => s.server.endsWith(`/sql-${n}`))?.note;
    expect(skip('same')).toBe('protector already on this version');
    expect(skip('newer')).toBe(`protector keeps version ${V3}, which is newer`);
    expect(skip('auto')).toMatch(/auto-rotation/);
    expect(skip('service')).toMatch(/service-managed/);
    expect(skip('other')).toMatch(/another key/);
    expect(skip('unmanaged')).toMatch(/switchProtector is false/);
  });

  it('turns an unreadable server into an error value and plans the others', async () => {
    // Prepare
    const { sql, target, deps } = setup();
    const broken: KeyTarget = { ...target, servers: [...target.servers, { id: `${SUB}/sql-missing`, switchProtector: true }] };

    // Act
    const plan = await planRotation(deps, { target: broken });

    // Assess
    expect(plan.servers.at(-1)).toMatchObject({ server: `${SUB}/sql-missing`, actions: [], error: { code: 'ResourceNotFound' } });
    expect(plan.servers).toHaveLength(SCENARIOS.length + 1);
    expect(sql.writes).toEqual([]);
  });
});
