/**
 * A reconciler over in-memory fakes: one key with three versions, a geo pair, a plain server and an
 * auto-rotation server, every collaborator exposed for the test to steer and inspect.
 */
import { KeyedLock } from '../../src/app/keyedLock.js';
import type { RotationNotification } from '../../src/app/rotationNotification.js';
import type { EncryptionProtector } from '../../src/app/ports.js';
import type { ReconcileDeps } from '../../src/app/reconcileTarget.js';
import type { KeyTarget, RetryPolicy, ServerTarget } from '../../src/config/appConfig.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';
import { FakeClock } from './fakes/fakeClock.js';
import { FakeKeyReader } from './fakes/fakeKeyReader.js';
import { FakeServerDirectory } from './fakes/fakeServerDirectory.js';
import { FakeSqlServerKeys } from './fakes/fakeSqlServerKeys.js';
import { fakeRetryDeps } from './fakes/fakeRetryDeps.js';

export const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/servers';
export const SCOPE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql';
export const PRIMARY = `${SUB}/sql-primary`;
export const SECONDARY = `${SUB}/sql-secondary`;
export const PLAIN = `${SUB}/sql-plain`;
export const AUTO = `${SUB}/sql-auto`;
export const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
export const V1 = '1'.repeat(32);
export const V2 = '2'.repeat(32);
export const V3 = '3'.repeat(32);
export const POLICY: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAttempts: 4, orderDelayMs: 30_000, orderMaxAttempts: 5 };

export const keyName = (v: string): string => `contoso-tde_tde-key_${v}`;

export function keyVersion(version: string, createdOn: string, overrides: Record<string, unknown> = {}) {
  return { id: `${KEY}/${version}`, version, enabled: true, keyType: 'RSA', keySize: 2048, createdOn: new Date(createdOn), ...overrides };
}

export function protectorOn(version: string | undefined, autoRotationEnabled = false): EncryptionProtector {
  return {
    serverKeyName: version === undefined ? 'contoso-tde_tde-key' : keyName(version),
    serverKeyType: 'AzureKeyVault',
    uri: version === undefined ? KEY : `${KEY}/${version}`,
    autoRotationEnabled,
  };
}

export interface FixtureOptions {
  readonly servers?: ServerTarget[];
  readonly discovery?: KeyTarget['discovery'];
  readonly directory?: string[];
  /** Versions in the vault (default V1 < V2 < V3, all enabled). */
  readonly versions?: ReturnType<typeof keyVersion>[];
}

export function reconcileFixture(opts: FixtureOptions = {}) {
  const clock = new FakeClock('2026-06-01T00:00:00Z');
  const keys = new FakeKeyReader();
  for (const v of opts.versions ?? [
    keyVersion(V1, '2026-01-01T00:00:00Z'),
    keyVersion(V2, '2026-03-01T00:00:00Z'),
    keyVersion(V3, '2026-05-01T00:00:00Z'),
  ]) {
    keys.add(v);
  }
  const sql = new FakeSqlServerKeys();
  const retry = fakeRetryDeps({ clock, policy: POLICY });
  const { queue, failures, logger } = retry;
  const notifications: RotationNotification[] = [];
  const servers: ServerTarget[] = opts.servers ?? [
    { id: PRIMARY, switchProtector: true },
    { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY },
    { id: PLAIN, switchProtector: true },
    { id: AUTO, switchProtector: true },
  ];
  const target: KeyTarget = { key: parseKeyId(KEY), servers, ...(opts.discovery ? { discovery: opts.discovery } : {}) };
  const deps: ReconcileDeps & { servers: FakeServerDirectory } = {
    keys,
    sql,
    servers: new FakeServerDirectory(opts.directory ?? []),
    config: { keys: new Map([[KEY.toLowerCase(), target]]), fanOut: { inlineLimit: 10, concurrency: 4 } },
    ...retry,
    locks: new KeyedLock(),
    notifier: {
      notify: (n) => {
        notifications.push(n);
        return Promise.resolve();
      },
    },
  };
  return { deps, keys, sql, queue, failures, logger, clock, notifications, target };
}

/** Every server on V1 (protector and key), the auto-rotation server with auto-rotation on. */
export function standardEstate(sql: FakeSqlServerKeys): void {
  const k1 = { [keyName(V1)]: `${KEY}/${V1}` };
  sql
    .addServer(PRIMARY, protectorOn(V1), k1)
    .addServer(SECONDARY, protectorOn(V1), k1)
    .addServer(PLAIN, protectorOn(V1), k1)
    .addServer(AUTO, protectorOn(V1, true), k1);
}

export function item(target: string, fields: Partial<ReconcileWorkItem> = {}): ReconcileWorkItem {
  return { kind: 'reconcile', key: KEY, target, attempt: 1, firstSeen: '2026-06-01T00:00:00Z', correlationId: 'evt-1', ...fields };
}
