import { describe, expect, it } from 'vitest';
import { newestEnabledVersion, planRotation, type PlanDeps } from '../../src/app/planRotation.js';
import { processServerKeyItem, type RotateDeps } from '../../src/app/rotateServerKeys.js';
import type { EncryptionProtector } from '../../src/app/ports.js';
import type { KeyTarget } from '../../src/config/appConfig.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import type { ServerKeyWorkItem } from '../../src/domain/workItem.js';
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
  const deps: PlanDeps & RotateDeps = {
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
  };
  return { sql, target, deps };
}

describe('Function: newestEnabledVersion', () => {
  it('picks the newest enabled version by creation time, skipping disabled ones', async () => {
    expect(await newestEnabledVersion(keys(), parseKeyId(KEY))).toEqual({ version: V2, createdOn: new Date('2025-06-01T00:00:00Z') });
  });

  it('refuses a key without an enabled version', async () => {
    await expect(newestEnabledVersion(keys(), parseKeyId('https://contoso-tde.vault.azure.net/keys/none'))).rejects.toMatchObject({
      code: 'NoEnabledKeyVersion',
    });
  });
});

describe('Function: planRotation', () => {
  it('agrees with the rotation: the plan switches exactly the protectors the rotation switches', async () => {
    const { sql, target, deps } = setup();

    const plan = await planRotation(deps, { target });
    expect(sql.writes).toEqual([]);
    for (const s of plan.servers) {
      const item: ServerKeyWorkItem = {
        kind: 'serverKey',
        target: s.server,
        keyId: `${KEY}/${V2}`,
        version: V2,
        switchProtector: s.switchProtector,
        attempt: 1,
        firstSeen: '2026-01-01T00:00:00Z',
        correlationId: 'c',
      };
      await processServerKeyItem(deps, item);
    }

    const planned = plan.servers.filter((s) => s.actions.some((a) => a.action === 'switchProtector')).map((s) => s.server);
    const switched = sql.writes.filter((w) => w.op === 'setProtector').map((w) => w.server);
    expect(planned).toEqual([`${SUB}/sql-older`]);
    expect(switched).toEqual(planned);
  });

  it('gives each skip its reason', async () => {
    const { target, deps } = setup();

    const plan = await planRotation(deps, { target });

    const skip = (n: string) => plan.servers.find((s) => s.server.endsWith(`/sql-${n}`))?.actions.find((a) => a.action === 'skip')?.detail;
    expect(skip('same')).toBe('protector already on this version');
    expect(skip('newer')).toBe(`protector keeps version ${V3}, which is newer`);
    expect(skip('auto')).toMatch(/auto-rotation/);
    expect(skip('service')).toMatch(/service-managed/);
    expect(skip('other')).toMatch(/another key/);
    expect(skip('unmanaged')).toMatch(/switchProtector is false/);
  });

  it('turns an unreadable server into an error value and plans the others', async () => {
    const { sql, target, deps } = setup();
    const broken: KeyTarget = { ...target, servers: [...target.servers, { id: `${SUB}/sql-missing`, switchProtector: true }] };

    const plan = await planRotation(deps, { target: broken });

    expect(plan.servers.at(-1)).toMatchObject({ server: `${SUB}/sql-missing`, actions: [], error: { code: 'ResourceNotFound' } });
    expect(plan.servers).toHaveLength(SCENARIOS.length + 1);
    expect(sql.writes).toEqual([]);
  });
});
