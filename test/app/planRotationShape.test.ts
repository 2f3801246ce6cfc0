/** The plan as operators read it: roles, numbered steps, details per kind, hints and refusals (beside planRotation.test.ts). */
import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../src/app/keyedLock.js';
import { mapConcurrent } from '../../src/app/mapConcurrent.js';
import { planError, planRotation, summarizeProtector } from '../../src/app/planRotation.js';
import { RotationError } from '../../src/domain/errors.js';
import { KEY, PLAIN, PRIMARY, SECONDARY, SUB, V1, V2, V3, keyName, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/managedInstances/mi-1';
const DB = `${SUB}/sql-plain/databases/sales`;

describe('Function: planRotation (what the plan says)', () => {
  it('numbers the actions across targets in the order they run, with roles and details per kind of target', async () => {
    // Prepare
    const f = reconcileFixture({
      servers: [
        { id: PRIMARY, switchProtector: true },
        { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY },
        { id: MI, switchProtector: false },
        { id: DB, switchProtector: true },
      ],
    });
    const k1 = { [keyName(V1)]: `${KEY}/${V1}` };
    f.sql.addServer(PRIMARY, protectorOn(V1), k1).addServer(SECONDARY, protectorOn(V1), k1).addServer(MI, protectorOn(V1), k1).addServer(DB, protectorOn(V1), k1);

    // Act
    const plan = await planRotation(f.deps, { target: f.target });

    // Assess
    const switchFromV1 = (step: number) => ({ step, action: 'switchProtector', from: V1, detail: `switch protector from version ${V1} to ${V3}` });
    expect(plan).toMatchObject({ key: KEY, version: V3, keyId: `${KEY}/${V3}`, serverKeyName: keyName(V3) });
    expect(plan.refused).toBeUndefined();
    expect(plan.hintNotUsed).toBeUndefined();
    expect(plan.servers.map((s) => ({ server: s.server, role: s.role, geoPrimary: s.geoPrimary, geoSecondaries: s.geoSecondaries, waitingFor: s.waitingFor, actions: s.actions }))).toEqual([
      {
        server: SECONDARY,
        role: 'geoSecondary',
        geoPrimary: PRIMARY,
        geoSecondaries: undefined,
        waitingFor: undefined,
        actions: [
          { step: 1, action: 'addKey', detail: `add server key ${keyName(V3)}` },
          switchFromV1(2),
        ],
      },
      {
        server: PRIMARY,
        role: 'geoPrimary',
        geoPrimary: undefined,
        geoSecondaries: [SECONDARY],
        waitingFor: [SECONDARY],
        actions: [
          { step: 3, action: 'addKey', detail: `add server key ${keyName(V3)} (after geo secondaries ${SECONDARY} hold it)` },
          switchFromV1(4),
        ],
      },
      { server: MI, role: 'standalone', geoPrimary: undefined, geoSecondaries: undefined, waitingFor: undefined, actions: [{ step: 5, action: 'addKey', detail: `add instance key ${keyName(V3)}` }] },
      {
        server: DB,
        role: 'standalone',
        geoPrimary: undefined,
        geoSecondaries: undefined,
        waitingFor: undefined,
        actions: [
          { step: 6, action: 'addKey', detail: `add database key ${keyName(V3)}` },
          switchFromV1(7),
        ],
      },
    ]);
  });

  it('says which hinted version it did not use, and which newer versions Azure would refuse', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.keys.update(`${KEY}/${V3}`, { keySize: 4096 });
    f.sql.addServer(PLAIN, protectorOn(V2), { [keyName(V2)]: `${KEY}/${V2}` });

    const plan = await planRotation(f.deps, { target: f.target, version: V1 });

    expect(plan.version).toBe(V2);
    expect(plan.hintNotUsed).toBe(V1);
    expect(plan.refused?.map((r) => r.version)).toEqual([V3]);
    expect(plan.servers[0]?.actions).toEqual([]);
  });

  it('does not name the hint when it is the version chosen, whatever its case', async () => {
    const f = reconcileFixture({ servers: [] });

    const plan = await planRotation(f.deps, { target: f.target, version: V3.toUpperCase() });

    expect(plan.hintNotUsed).toBeUndefined();
  });

  it('puts a target it cannot read in its row as an error, without actions', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V1), {});
    f.sql.readFaults.failAlways(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    const plan = await planRotation(f.deps, { target: f.target });

    expect(plan.servers).toEqual([{ server: PLAIN, targetKind: 'server', source: 'config', role: 'standalone', switchProtector: true, actions: [], error: { code: 'ServiceUnavailable', message: 'down' } }]);
  });
});

describe('Function: summarizeProtector', () => {
  it.each([
    ['a versioned Key Vault protector', protectorOn(V1), { serverKeyType: 'AzureKeyVault', serverKeyName: keyName(V1), keyUri: `${KEY}/${V1}`, key: KEY, version: V1, autoRotationEnabled: false }],
    ['a versionless one', protectorOn(undefined, true), { serverKeyType: 'AzureKeyVault', serverKeyName: 'contoso-tde_tde-key', keyUri: KEY, key: KEY, autoRotationEnabled: true }],
    ['a service-managed one', { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged' as const, autoRotationEnabled: false }, { serverKeyType: 'ServiceManaged', serverKeyName: 'ServiceManaged', autoRotationEnabled: false }],
    ['one whose uri is no key id', { ...protectorOn(V1), uri: 'odd' }, { serverKeyType: 'AzureKeyVault', serverKeyName: keyName(V1), keyUri: 'odd', autoRotationEnabled: false }],
  ])('shows %s', (_label, protector, expected) => {
    expect(summarizeProtector(protector)).toEqual(expected);
  });
});

describe('Function: planError', () => {
  it('keeps the code and message of a RotationError, and names anything else UnexpectedError', () => {
    expect(planError(new RotationError('KeyNotFound', 'terminal', 'gone'))).toEqual({ code: 'KeyNotFound', message: 'gone' });
    expect(planError(new TypeError('x is undefined'))).toEqual({ code: 'UnexpectedError', message: 'TypeError: x is undefined' });
    expect(planError(42)).toEqual({ code: 'UnexpectedError', message: 'non-error thrown' });
  });
});

describe('Class: KeyedLock', () => {
  it('runs work on one key one after the other, whatever the case of the key, and forgets idle keys', async () => {
    // Prepare
    const lock = new KeyedLock();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const gate = new Promise<void>((r) => {
      releaseFirst = r;
    });

    // Act
    const first = lock.run('/Servers/A', async () => {
      events.push('first start');
      await gate;
      events.push('first end');
    });
    const second = lock.run('/servers/a', () => {
      events.push('second');
      return Promise.resolve();
    });
    const other = lock.run('/servers/b', () => {
      events.push('other');
      return Promise.resolve();
    });
    await other;
    const sizeWhileBusy = lock.size;
    releaseFirst();
    await Promise.all([first, second]);

    // Assess
    expect(events).toEqual(['first start', 'other', 'first end', 'second']);
    expect(sizeWhileBusy).toBe(1);
    expect(lock.size).toBe(0);
  });

  it('releases the key when the work fails', async () => {
    const lock = new KeyedLock();

    await expect(lock.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run('k', () => Promise.resolve('next'))).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});

describe('Function: mapConcurrent', () => {
  it('keeps the order of the results and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;

    const out = await mapConcurrent([1, 2, 3, 4, 5], 2, async (n, i) => {
      running += 1;
      most = Math.max(most, running);
      await Promise.resolve();
      running -= 1;
      return n * 10 + i;
    });

    expect(out).toEqual([10, 21, 32, 43, 54]);
    expect(most).toBe(2);
  });

  it('runs with one worker when the limit is below 1, and returns [] for no items', async () => {
    expect(await mapConcurrent([1, 2], 0, (n) => Promise.resolve(n))).toEqual([1, 2]);
    expect(await mapConcurrent([], 4, (n) => Promise.resolve(n))).toEqual([]);
  });
});
