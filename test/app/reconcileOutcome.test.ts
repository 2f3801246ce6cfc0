/**
 * What the reconciler reports and logs: outcome details per kind of target, the hint it was refused, the critical
 * alert's properties, and the rounds it takes (tests of its decisions are in reconcileTarget.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { asRotationError, reconcileTarget } from '../../src/app/reconcileTarget.js';
import { RotationError } from '../../src/domain/errors.js';
import { KEY, PLAIN, SUB, V1, V2, V3, item, keyName, keyVersion, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/managedInstances/mi-1';
const DB = `${SUB}/sql-plain/databases/sales`;
/** Each kind of target as a table row: how the tests name it, its id, and what the outcome calls its key. */
const SERVER_ROW = ['a logical server', PLAIN, 'server key'] as const;
const INSTANCE_ROW = ['a managed instance', MI, 'instance key'] as const;
const DATABASE_ROW = ['a database', DB, 'database key'] as const;

describe('Function: reconcileTarget (outcomes and logs)', () => {
  it.each([SERVER_ROW, INSTANCE_ROW])('reports what it did on %s, step by step', async (_label, target, word) => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: target, switchProtector: true }] });
    f.sql.addServer(target, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

    // Act
    const outcome = await reconcileTarget(f.deps, item(target));

    // Assess
    expect(outcome).toEqual({ kind: 'rotated', target, detail: `${word} ${keyName(V3)} added; protector switched from version ${V1} to ${V3}`, keyVersion: V3 });
    expect(f.sql.writes.map((w) => w.op)).toEqual(['upsertKey', 'setProtector']);
    expect(f.logger.lines.filter((l) => l.level === 'info').map((l) => l.properties)).toEqual([
      expect.objectContaining({ kind: 'reconcile', target, outcome: 'rotated', targetKind: target === MI ? 'managedInstance' : 'server' }),
    ]);
  });

  it.each([
    ['gives a database its key and protector in one update', true, [V1], `database key ${keyName(V3)} added; protector switched from version ${V1} to ${V3}`, ['setProtector'], V3],
    ['only switches the protector of a database that already holds the key', true, [V1, V3], `protector switched from version ${V1} to ${V3}`, ['setProtector'], V3],
    [
      'adds the key of a database that does not switch, in an update of its own',
      false,
      [V1],
      `database key ${keyName(V3)} added; protector not managed here (switchProtector is false)`,
      ['upsertKey'],
      V1,
    ],
  ] as const)('%s', async (_name, switchProtector, held, detail, writes, protectorAfter) => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: DB, switchProtector }] });
    f.sql.addServer(DB, protectorOn(V1), Object.fromEntries(held.map((v) => [keyName(v), `${KEY}/${v}`])));

    // Act
    const outcome = await reconcileTarget(f.deps, item(DB));

    // Assess
    expect(outcome).toEqual({ kind: 'rotated', target: DB, detail, keyVersion: V3 });
    expect(f.sql.writes.map((w) => w.op)).toEqual(writes);
    expect(f.sql.protector(DB).serverKeyName).toBe(keyName(protectorAfter));
  });

  it.each([SERVER_ROW, INSTANCE_ROW, DATABASE_ROW])('says a converged %s is converged, and why its protector stays', async (_label, target, word) => {
    const f = reconcileFixture({ servers: [{ id: target, switchProtector: true }] });
    f.sql.addServer(target, protectorOn(undefined), { [keyName(V3)]: `${KEY}/${V3}` });

    const outcome = await reconcileTarget(f.deps, item(target));

    expect(outcome).toMatchObject({ kind: 'skipped', target });
    expect(outcome.kind === 'skipped' && outcome.reason).toMatch(new RegExp(`^converged: ${word} present; \\S`));
  });

  it('says converged, protector on this version, when it is on the newest', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });

    const outcome = await reconcileTarget(f.deps, item(PLAIN));

    expect(outcome).toEqual({ kind: 'skipped', target: PLAIN, reason: 'converged: server key present; protector already on this version', keyVersion: V3 });
  });

  it('reports a protector that stays where it is after adding the key', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V1, true), { [keyName(V1)]: `${KEY}/${V1}` });

    const outcome = await reconcileTarget(f.deps, item(PLAIN));

    expect(outcome.kind === 'rotated' && outcome.detail.split('; ')).toEqual([`server key ${keyName(V3)} added`, expect.stringMatching(/auto-rotation/i)]);
  });

  it('logs an error line naming the refused version when the hinted one is refused, and converges anyway', async () => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.keys.update(`${KEY}/${V3}`, { keyType: 'EC' });
    f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

    // Act
    const outcome = await reconcileTarget(f.deps, item(PLAIN, { versionHint: V3.toUpperCase() }));

    // Assess
    expect(outcome).toMatchObject({ kind: 'rotated', keyVersion: V2 });
    expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    expect(f.logger.lines.filter((l) => l.level === 'error').map((l) => l.properties)).toEqual([
      expect.objectContaining({ kind: 'reconcile', target: PLAIN, code: 'AzureKeyVaultRsaKeyNotSupported' }),
    ]);
  });

  it('logs the refused hint on a target that converges in one round, whatever the case of the version', async () => {
    // Prepare: V2 is in place; VE, newer, is an EC key (a version with letters, named in upper case)
    const ve = 'e'.repeat(32);
    const f = reconcileFixture({
      servers: [{ id: PLAIN, switchProtector: true }],
      versions: [keyVersion(V2, '2026-03-01T00:00:00Z'), keyVersion(ve, '2026-05-01T00:00:00Z', { keyType: 'EC' })],
    });
    f.sql.addServer(PLAIN, protectorOn(V2), { [keyName(V2)]: `${KEY}/${V2}` });

    // Act
    const outcome = await reconcileTarget(f.deps, item(PLAIN, { versionHint: ve.toUpperCase() }));

    // Assess
    expect(outcome).toMatchObject({ kind: 'skipped', keyVersion: V2 });
    expect(f.logger.lines.filter((l) => l.level === 'error').map((l) => l.properties)).toEqual([
      expect.objectContaining({ kind: 'reconcile', target: PLAIN, code: 'AzureKeyVaultRsaKeyNotSupported' }),
    ]);
  });

  it('logs nothing about a refused version the item did not name', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.keys.update(`${KEY}/${V3}`, { keyType: 'EC' });
    f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

    await reconcileTarget(f.deps, item(PLAIN, { versionHint: V2 }));
    await reconcileTarget(f.deps, item(PLAIN));

    expect(f.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('alerts critical drift once, with the target kind, even over several rounds', async () => {
    // Prepare: the protector is on V3, disabled since; the instance is not switched here
    const f = reconcileFixture({ servers: [{ id: MI, switchProtector: false }] });
    f.sql.addServer(MI, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });
    f.keys.update(`${KEY}/${V3}`, { enabled: false });

    // Act
    await reconcileTarget(f.deps, item(MI));

    // Assess
    expect(f.notifications).toHaveLength(1);
    expect(f.logger.lines.filter((l) => l.level === 'error').map((l) => l.properties)).toEqual([
      expect.objectContaining({ code: 'AzureKeyVaultKeyDisabled', critical: true, targetKind: 'managedInstance', target: MI }),
    ]);
  });

  it('looks again after a switch and takes a version that appeared meanwhile, at most three rounds', async () => {
    // Prepare: each protector switch makes a newer version appear
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }], versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-02-01T00:00:00Z')] });
    f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });
    const later = ['3', '4', '5', '6'].map((d, i) => keyVersion(d.repeat(32), `2026-0${3 + i}-01T00:00:00Z`));
    const setProtector = f.sql.setEncryptionProtector.bind(f.sql);
    f.sql.setEncryptionProtector = async (...args) => {
      await setProtector(...args);
      const next = later.shift();
      if (next) f.keys.add(next);
    };

    // Act
    const outcome = await reconcileTarget(f.deps, item(PLAIN));

    // Assess: V2, then 3, then 4; 5 appeared after the third round and is left to the next trigger
    expect(f.sql.writes.filter((w) => w.op === 'setProtector').map((w) => w.name)).toEqual([keyName(V2), keyName(V3), keyName('4'.repeat(32))]);
    expect(outcome.kind === 'rotated' && outcome.detail.match(/protector switched/g)).toHaveLength(3);
  });

  it('uses the hint in the first round only', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });
    const hint = '9'.repeat(32);
    const read: string[] = [];
    const getKey = f.keys.getKey.bind(f.keys);
    f.keys.getKey = (k) => {
      read.push(k.version ?? 'latest');
      return getKey(k);
    };

    await reconcileTarget(f.deps, item(PLAIN, { versionHint: hint }));

    expect(read.filter((v) => v === hint)).toHaveLength(1);
  });
});

describe('Function: asRotationError', () => {
  it('keeps a RotationError as it is', () => {
    const e = new RotationError('ServiceUnavailable', 'retriable', 'down');

    expect(asRotationError(e, 'step')).toBe(e);
  });

  it('turns anything else into a terminal UnexpectedError naming the step, with the cause', () => {
    const cause = new TypeError('x is undefined');

    const e = asRotationError(cause, 'reconcile');

    expect(e).toMatchObject({ code: 'UnexpectedError', errorClass: 'terminal', cause });
    expect(e.message).toContain('reconcile');
    expect(asRotationError('a string', 'discovery')).toMatchObject({ code: 'UnexpectedError', cause: 'a string' });
  });

  it("says what was thrown: an error's class and message, or that it was no error at all", () => {
    // Prepare
    const cause = new TypeError('x is undefined');

    // Act
    const fromError = asRotationError(cause, 'reconcile');
    const fromValue = asRotationError({ odd: true }, 'reconcile');

    // Assess
    expect(fromError.message).toContain(`${cause.name}: ${cause.message}`);
    expect(fromValue.message).toMatch(/reconcile: \S/);
  });
});
