import { describe, expect, it } from 'vitest';
import { geoPhases, listTargets } from '../../src/app/listTargets.js';
import { RotationError } from '../../src/domain/errors.js';
import { KEY, PLAIN, PRIMARY, SCOPE, SECONDARY, SUB, V1, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

const FOUND = `${SUB}/sql-found`;
const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/managedInstances/mi-found';
const UNREADABLE = `${SUB}/sql-unreadable`;

describe('Function: listTargets', () => {
  it('lists configured targets (geo secondaries first) and the discovered ones on the key, skipping what it cannot read with a warning', async () => {
    // Prepare
    const f = reconcileFixture({
      servers: [{ id: PRIMARY, switchProtector: true }, { id: SECONDARY, switchProtector: false, geoPrimary: PRIMARY }],
      discovery: { scopes: [SCOPE], switchProtector: true },
      directory: [PRIMARY.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), FOUND, MI, UNREADABLE, PLAIN],
    });
    f.sql.addServer(FOUND, protectorOn(V1), {}).addServer(MI, protectorOn(undefined), {}).addServer(PLAIN, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});
    f.sql.addServer(UNREADABLE, protectorOn(V1), {});
    f.sql.readFaults.failAlways(UNREADABLE, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    // Act
    const targets = await listTargets(f.deps, f.target);

    // Assess
    expect(targets).toEqual([
      { kind: 'server', id: SECONDARY, source: 'config', switchProtector: false, geoPrimary: PRIMARY, geoSecondaries: [] },
      { kind: 'server', id: PRIMARY, source: 'config', switchProtector: true, geoSecondaries: [SECONDARY] },
      { kind: 'server', id: FOUND, source: 'discovery', switchProtector: true, geoSecondaries: [] },
      { kind: 'managedInstance', id: MI, source: 'discovery', switchProtector: true, geoSecondaries: [] },
    ]);
    expect(f.logger.lines.filter((l) => l.level === 'warn').map((l) => l.properties)).toEqual([{ server: UNREADABLE, targetKind: 'server', code: 'ServiceUnavailable' }]);
  });

  it('names the code of a failure that is no RotationError as Unknown', async () => {
    const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: false }, directory: [UNREADABLE] });
    f.sql.addServer(UNREADABLE, protectorOn(V1), {});
    f.sql.readFaults.failAlways(UNREADABLE, new TypeError('boom'));

    expect(await listTargets(f.deps, f.target)).toEqual([]);
    expect(f.logger.lines.map((l) => l.properties?.['code'])).toEqual(['Unknown']);
  });

  it('throws when a scope cannot be listed', async () => {
    const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: false } });
    f.deps.servers.faults.failAlways(SCOPE, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    await expect(listTargets(f.deps, f.target)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });

  it('lists only the configured targets of a key without discovery', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });

    expect((await listTargets(f.deps, f.target)).map((t) => t.id)).toEqual([PLAIN]);
    expect(f.target.key.versionlessId).toBe(KEY);
  });
});

describe('Function: geoPhases', () => {
  it('puts geo secondaries in the first phase and the rest in the second, each in order', () => {
    type T = { readonly id: string; readonly geoPrimary?: string };
    const a: T = { id: 'a' };
    const b: T = { id: 'b', geoPrimary: 'a' };
    const c: T = { id: 'c' };
    const d: T = { id: 'd', geoPrimary: 'c' };

    expect(geoPhases([a, b, c, d])).toEqual([[b, d], [a, c]]);
  });
});
