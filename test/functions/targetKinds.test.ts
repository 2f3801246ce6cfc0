/**
 * Every kind of TDE target through the one reconciler, with the real @azure/arm-sql clients against the
 * emulator: managed instances (keys + encryption protector) and databases with database-level keys (one database
 * update of `keys` + `encryptionProtector`), beside a logical server. The reconcile timer finds the drift and the
 * queue worker converges it, as in production.
 */
import { describe, expect, it } from 'vitest';
import { makeReconcileKeys } from '../../functions/reconcileKeys.js';
import { makeRotationWorker } from '../../functions/rotationWorker.js';
import { createServices, type Services } from '../../src/compositionRoot.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { fastPolls } from '../support/fastPolls.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';
import type { FunctionTestEnv } from '../support/functionHarness.js';
import { capturingContext, useFunctionTestEnv } from '../support/functionHarness.js';
import { testDatabaseId, testEstateWith, testManagedInstanceId } from '../support/testEstates.js';
import {
  TDE_KEY_V1,
  TDE_KEY_V1_URI,
  TDE_KEY_V2,
  TDE_KEY_V2_URI,
  TEST_OTHER_RESOURCE_GROUP,
  TEST_RESOURCE_GROUP,
  TEST_SUBSCRIPTION_ID,
  TEST_TDE_VAULT,
  TEST_TDE_VAULT_URL,
  testServerId,
} from '../support/emulator.js';

const KEY = `${TEST_TDE_VAULT_URL}/keys/tde-key`;
const VERSIONLESS_NAME = `${TEST_TDE_VAULT}_tde-key`;
const name = (v: string): string => `${TEST_TDE_VAULT}_tde-key_${v}`;
const mi = testManagedInstanceId;
const db = testDatabaseId;

/** A managed instance protected by one version (or the versionless key), optionally auto-rotating or geo-linked. */
function instance(n: string, protector: string | undefined, extra: Record<string, unknown> = {}) {
  const uri = protector === undefined ? KEY : `${KEY}/${protector}`;
  const keyName = protector === undefined ? VERSIONLESS_NAME : name(protector);
  return {
    name: n,
    location: 'westeurope',
    keys: [{ uri, name: keyName }, ...(protector === TDE_KEY_V2 ? [{ uri: TDE_KEY_V1_URI }] : [])],
    protector: { serverKeyType: 'AzureKeyVault' as const, serverKeyName: keyName, ...(extra['auto'] === true ? { autoRotationEnabled: true } : {}) },
    ...(typeof extra['geoSecondaryOf'] === 'string' ? { geoSecondaryOf: extra['geoSecondaryOf'] } : {}),
  };
}

/** A database with its own key (one version, or versionless). */
function database(n: string, protector: string | undefined, extra: Record<string, unknown> = {}) {
  const uri = protector === undefined ? KEY : `${KEY}/${protector}`;
  return {
    name: n,
    keys: protector === TDE_KEY_V2 ? [TDE_KEY_V1_URI, uri] : [uri],
    encryptionProtector: uri,
    ...(extra['auto'] === true ? { encryptionProtectorAutoRotation: true } : {}),
    ...(typeof extra['geoSecondaryOf'] === 'string' ? { geoSecondaryOf: extra['geoSecondaryOf'] } : {}),
  };
}

/**
 * The test estate plus: managed instances (a failover-group pair, one auto-rotating, one versionless, one already
 * on V2) and databases with their own keys on sql-plain (a geo pair with sql-secondary, auto-rotating,
 * versionless, already on V2, one whose log still holds the old key); in rg-other an instance and a database
 * found by discovery, and a database without a key of its own.
 */
function estate() {
  return testEstateWith({
    servers: {
      'sql-plain': {
        databases: [
          database('db-geo', TDE_KEY_V1),
          database('db-auto', TDE_KEY_V1, { auto: true }),
          database('db-versionless', undefined),
          database('db-ahead', TDE_KEY_V2),
          database('db-blocked', TDE_KEY_V1),
        ],
      },
      'sql-secondary': { databases: [database('db-geo', TDE_KEY_V1, { geoSecondaryOf: `${TEST_RESOURCE_GROUP}/sql-plain/db-geo` })] },
      'sql-other': { databases: [database('db-found', TDE_KEY_V1), { name: 'db-server-key' }] },
    },
    managedInstances: [
      instance('mi-primary', TDE_KEY_V1),
      instance('mi-secondary', TDE_KEY_V1, { geoSecondaryOf: `${TEST_RESOURCE_GROUP}/mi-primary` }),
      instance('mi-auto', TDE_KEY_V1, { auto: true }),
      instance('mi-versionless', undefined),
      instance('mi-ahead', TDE_KEY_V2),
    ],
    otherManagedInstances: [instance('mi-found', TDE_KEY_V1)],
  });
}

const config = {
  keys: {
    [KEY]: {
      servers: [
        { id: testServerId('sql-plain'), switchProtector: true },
        { id: mi('mi-primary'), switchProtector: true },
        { id: mi('mi-secondary'), switchProtector: true, geoPrimary: mi('mi-primary') },
        { id: mi('mi-auto'), switchProtector: true },
        { id: mi('mi-versionless'), switchProtector: true },
        { id: mi('mi-ahead'), switchProtector: true },
        { id: db('sql-plain', 'db-geo'), switchProtector: true },
        { id: db('sql-secondary', 'db-geo'), switchProtector: true, geoPrimary: db('sql-plain', 'db-geo') },
        { id: db('sql-plain', 'db-auto'), switchProtector: true },
        { id: db('sql-plain', 'db-versionless'), switchProtector: true },
        { id: db('sql-plain', 'db-ahead'), switchProtector: true },
      ],
      discovery: { scopes: [`/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_OTHER_RESOURCE_GROUP}`], switchProtector: true },
    },
  },
};

function item(target: string, fields: Partial<ReconcileWorkItem> = {}): ReconcileWorkItem {
  return { kind: 'reconcile', key: KEY, target, attempt: 1, firstSeen: new Date().toISOString(), correlationId: 'test-event', ...fields };
}

async function runWorker(env: FunctionTestEnv, items: readonly ReconcileWorkItem[], lines: string[] = []): Promise<void> {
  const worker = makeRotationWorker(() => env.services).handler as (m: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>;
  for (const [i, it] of items.entries()) await worker(JSON.parse(JSON.stringify(it)), capturingContext('rotationWorker', lines, { messageId: `m-${i}` }));
}

/** Runs the timer, then the worker on every enqueued item until the queue is empty. */
async function sweepAndDrain(env: FunctionTestEnv, lines: string[] = []): Promise<void> {
  const timer = makeReconcileKeys(() => env.services).handler as (t: unknown, c: ReturnType<typeof capturingContext>) => Promise<void>;
  await timer({ isPastDue: false }, capturingContext('reconcileKeys', lines));
  for (let i = 0; i < 10; i += 1) {
    const due = env.queue.takeDue();
    if (due.length === 0) return;
    await runWorker(env, due as ReconcileWorkItem[], lines);
  }
}

/** The writes (PUT/PATCH) the emulator saw, as `route target-path`, in order. */
function writes(env: FunctionTestEnv): string[] {
  return env.emulator.stats.log.filter((e) => e.method === 'PUT' || e.method === 'PATCH').map((e) => `${e.route} ${new URL(e.url).pathname}`);
}

describe('Function: rotationWorker and reconcileKeys, every kind of target', () => {
  const env = useFunctionTestEnv(config, { estate: estate() });
  const state = () => env.emulator.state;
  const instanceState = (n: string, rg = TEST_RESOURCE_GROUP) => state().managedInstance(TEST_SUBSCRIPTION_ID, rg, n)!;
  const databaseState = (server: string, n: string, rg = TEST_RESOURCE_GROUP) => state().server(TEST_SUBSCRIPTION_ID, rg, server)!.databases.get(n)!;

  describe('before anything converges', () => {
    it('does not move a protector backwards: an event for V1 leaves an instance and a database on V2 untouched', async () => {
      // Prepare
      env.emulator.stats.reset();

      // Act
      await runWorker(env, [item(mi('mi-ahead'), { versionHint: TDE_KEY_V1 }), item(db('sql-plain', 'db-ahead'), { versionHint: TDE_KEY_V1 })]);

      // Assess
      expect(instanceState('mi-ahead').protector.serverKeyName).toBe(name(TDE_KEY_V2));
      expect(databaseState('sql-plain', 'db-ahead').encryptionProtector).toBe(TDE_KEY_V2_URI);
      expect(writes(env)).toEqual([]);
    });

    it('makes a geo primary wait: the primary instance and database are not written while their secondaries lack the key', async () => {
      // Prepare
      env.emulator.stats.reset();
      const lines: string[] = [];

      // Act
      await runWorker(env, [item(mi('mi-primary')), item(db('sql-plain', 'db-geo'))], lines);

      // Assess
      expect(writes(env)).toEqual([]);
      // Both retried on the order schedule (attempt 2), neither dead-lettered.
      expect(env.queue.scheduled.map((s) => [s.item.target, s.item.attempt])).toEqual([
        [mi('mi-primary'), 2],
        [db('sql-plain', 'db-geo'), 2],
      ]);
      expect(lines.some((l) => l.includes('WaitingForGeoSecondary'))).toBe(true);
      expect(env.failures.deadLetters).toEqual([]);
      expect(instanceState('mi-primary').protector.serverKeyName).toBe(name(TDE_KEY_V1));
    });

    it('retries a database whose log still holds the old key on a long schedule, then converges', async () => {
      const blocked = databaseState('sql-plain', 'db-blocked');
      blocked.oldThumbprintInUse = true;
      const cfg = { keys: { [KEY]: { servers: [{ id: db('sql-plain', 'db-blocked'), switchProtector: true }] } } };
      const lines: string[] = [];
      const before = Date.now();
      const local = useScopedConfig(env, cfg);

      await runWorker(local, [item(db('sql-plain', 'db-blocked'))], lines);

      const retry = local.queue.scheduled.at(-1);
      expect(retry?.item.attempt).toBe(2);
      expect(retry!.at!.getTime() - before).toBeGreaterThanOrEqual(15 * 60_000 - 1_000);
      expect(lines.join('\n')).toMatch(/PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse/);
      expect(blocked.encryptionProtector).toBe(TDE_KEY_V1_URI);

      blocked.oldThumbprintInUse = false;
      await runWorker(local, [retry!.item as ReconcileWorkItem]);

      expect(blocked.encryptionProtector).toBe(TDE_KEY_V2_URI);
      expect(blocked.keys.has(TDE_KEY_V2_URI.toLowerCase())).toBe(true);
    });
  });

  describe('the reconcile sweep', () => {
    it('converges a server, managed instances and databases to V2: keys added, opted-in protectors switched', async () => {
      // Prepare
      env.emulator.stats.reset();

      // Act
      await sweepAndDrain(env);

      // Assess
      expect(state().server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-plain')!.protector.serverKeyName).toBe(name(TDE_KEY_V2));
      for (const n of ['mi-primary', 'mi-secondary']) {
        expect(instanceState(n).protector.serverKeyName).toBe(name(TDE_KEY_V2));
        expect(instanceState(n).keys.has(name(TDE_KEY_V2).toLowerCase())).toBe(true);
      }
      for (const s of ['sql-plain', 'sql-secondary']) {
        expect(databaseState(s, 'db-geo').encryptionProtector).toBe(TDE_KEY_V2_URI);
        expect(databaseState(s, 'db-geo').keys.has(TDE_KEY_V2_URI.toLowerCase())).toBe(true);
        // The old key stays: the log and backups still need it.
        expect(databaseState(s, 'db-geo').keys.has(TDE_KEY_V1_URI.toLowerCase())).toBe(true);
      }
      expect(env.failures.deadLetters).toEqual([]);
    });

    it('adds the key and switches the protector of a database in one update', () => {
      const updates = writes(env).filter((w) => w.includes('/databases/db-geo'));

      expect(updates).toHaveLength(2);
      expect(updates.every((u) => u.startsWith('arm.databases.update '))).toBe(true);
    });

    it('switches geo secondaries before their primaries, for instances and databases alike', () => {
      const order = writes(env);
      const at = (fragment: string) => order.findIndex((w) => w.endsWith(fragment));

      expect(at('/managedInstances/mi-secondary/encryptionProtector/current')).toBeGreaterThanOrEqual(0);
      expect(at('/managedInstances/mi-secondary/encryptionProtector/current')).toBeLessThan(at('/managedInstances/mi-primary/encryptionProtector/current'));
      expect(at('/servers/sql-secondary/databases/db-geo')).toBeLessThan(at('/servers/sql-plain/databases/db-geo'));
    });

    it('leaves auto-rotation to Azure: the key is added, the protector stays', () => {
      expect(instanceState('mi-auto').protector).toMatchObject({ serverKeyName: name(TDE_KEY_V1), autoRotationEnabled: true });
      expect(instanceState('mi-auto').keys.has(name(TDE_KEY_V2).toLowerCase())).toBe(true);
      expect(databaseState('sql-plain', 'db-auto').encryptionProtector).toBe(TDE_KEY_V1_URI);
      expect(databaseState('sql-plain', 'db-auto').encryptionProtectorAutoRotation).toBe(true);
    });

    it('leaves a versionless protector versionless, on an instance and on a database', () => {
      expect(instanceState('mi-versionless').protector.serverKeyName).toBe(VERSIONLESS_NAME);
      expect(databaseState('sql-plain', 'db-versionless').encryptionProtector).toBe(KEY);
    });

    it('discovers an instance and a database protected by the key, and leaves a database without a key of its own alone', () => {
      expect(instanceState('mi-found', TEST_OTHER_RESOURCE_GROUP).protector.serverKeyName).toBe(name(TDE_KEY_V2));
      expect(databaseState('sql-other', 'db-found', TEST_OTHER_RESOURCE_GROUP).encryptionProtector).toBe(TDE_KEY_V2_URI);
      const untouched = databaseState('sql-other', 'db-server-key', TEST_OTHER_RESOURCE_GROUP);
      expect(untouched.encryptionProtector).toBeUndefined();
      expect(untouched.keys.size).toBe(0);
      expect(writes(env).some((w) => w.includes('db-server-key'))).toBe(false);
    });

    it('names the kind in every ROTATION_OUTCOME line', async () => {
      const lines: string[] = [];
      await runWorker(env, [item(mi('mi-primary')), item(db('sql-plain', 'db-geo'))], lines);

      const outcomes = lines.filter((l) => l.includes('ROTATION_OUTCOME'));
      expect(outcomes.some((l) => l.includes('"targetKind":"managedInstance"'))).toBe(true);
      expect(outcomes.some((l) => l.includes('"targetKind":"database"'))).toBe(true);
    });

    it('is reads only once every kind has converged', async () => {
      // Prepare
      await sweepAndDrain(env);
      env.emulator.stats.reset();

      // Act
      await sweepAndDrain(env);

      // Assess
      expect(env.emulator.stats.writes).toBe(0);
    });
  });
});

/** The same emulator with another ROTATION_CONFIG for one test (its own queue and services). */
function useScopedConfig(env: FunctionTestEnv, rotationConfig: unknown): FunctionTestEnv {
  const queue = new FakeWorkQueue();
  const failures = new FakeFailureSink();
  let built: Services | undefined;
  return {
    emulator: env.emulator,
    queue,
    failures,
    overrides: {},
    get services(): Services {
      built ??= createServices(loadConfig({ ROTATION_CONFIG: JSON.stringify(rotationConfig) }), { queue, failures, pollSchedule: fastPolls() });
      return built;
    },
  };
}
