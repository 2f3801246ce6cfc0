import { describe, expect, it } from 'vitest';
import { protectsWith, resolveTarget } from '../../src/app/resolveTarget.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { KEY, PLAIN, PRIMARY, SCOPE, SECONDARY, SUB, V1, V2, item, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/managedInstances/mi-1';
const FOUND = `${SUB}/sql-found`;

async function refusal(p: Promise<unknown>): Promise<{ code: string; errorClass: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; errorClass: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('Function: resolveTarget (the authority gate)', () => {
  it('resolves a configured target with what the config says of it', async () => {
    // Prepare
    const f = reconcileFixture();

    // Act
    const r = await resolveTarget(f.deps, item(PRIMARY.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')));

    // Assess
    expect(r.key).toBe(f.target.key);
    expect(r.keyTarget).toBe(f.target);
    expect(r.target).toEqual({ kind: 'server', id: PRIMARY, source: 'config', switchProtector: true, geoSecondaries: [SECONDARY] });
    expect(r.protector).toBeUndefined();
  });

  it('resolves a configured geo secondary with its primary, and a managed instance as one', async () => {
    const f = reconcileFixture({ servers: [{ id: PRIMARY, switchProtector: false }, { id: SECONDARY, switchProtector: false, geoPrimary: PRIMARY }, { id: MI, switchProtector: true }] });

    expect((await resolveTarget(f.deps, item(SECONDARY))).target).toEqual({ kind: 'server', id: SECONDARY, source: 'config', switchProtector: false, geoPrimary: PRIMARY, geoSecondaries: [] });
    expect((await resolveTarget(f.deps, item(MI))).target).toMatchObject({ kind: 'managedInstance', id: MI });
  });

  it.each([
    ['the same version in another case', { versionHint: 'ab'.repeat(16), claims: { keyVersion: 'AB'.repeat(16) } }],
    ['the same version in another case, the other way round', { versionHint: 'AB'.repeat(16), claims: { keyVersion: 'ab'.repeat(16) } }],
    ['a claim of the configured switch', { claims: { switchProtector: true } }],
    ['a claim of the configured geo primary, in another case', { target: SECONDARY, claims: { geoPrimary: PRIMARY.toUpperCase() } }],
    ['a claimed version without a hint', { claims: { keyVersion: V2 } }],
  ] as const)('accepts a message that claims %s', async (_label, fields) => {
    const f = reconcileFixture();

    await expect(resolveTarget(f.deps, item(PRIMARY, fields))).resolves.toBeDefined();
  });

  it.each([
    ['a switch the config does not allow', PLAIN, { claims: { switchProtector: true } }, /switchProtector=true .* ROTATION_CONFIG says false/],
    ['a switch off where the config switches', PRIMARY, { claims: { switchProtector: false } }, /switchProtector=false/],
    ['a geo primary for a target that has none', PLAIN, { claims: { geoPrimary: PRIMARY } }, /geo primary/],
    ['another geo primary', SECONDARY, { claims: { geoPrimary: PLAIN } }, /geo primary/],
    ['a version other than the hint', PLAIN, { versionHint: V1, claims: { keyVersion: V2 } }, /does not match/],
  ] as const)('refuses a message that claims %s (NotInConfig, terminal)', async (_label, target, fields, words) => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: PRIMARY, switchProtector: true }, { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY }, { id: PLAIN, switchProtector: false }] });

    // Act
    const e = await refusal(resolveTarget(f.deps, item(target, fields)));

    // Assess
    expect(e).toMatchObject({ code: 'NotInConfig', errorClass: 'terminal' });
    expect(e.message).toMatch(words);
  });

  describe('discovered targets', () => {
    function discovery(protector = protectorOn(V1)) {
      const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: true } });
      f.sql.addServer(FOUND, protector, {});
      return f;
    }

    it('resolves a target of a discovery scope whose protector is on the key, with the protector it read', async () => {
      // Prepare
      const f = discovery();

      // Act
      const r = await resolveTarget(f.deps, item(FOUND));

      // Assess
      expect(r.target).toEqual({ kind: 'server', id: FOUND, source: 'discovery', switchProtector: true, geoSecondaries: [] });
      expect(r.protector).toEqual(protectorOn(V1));
    });

    it.each([
      ['on another key', { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, /server .* \(discovery scope .*\) is not protected by key/],
      ['service-managed', { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged' as const, autoRotationEnabled: false }, /is not protected by key/],
      ['on an unreadable key uri', { ...protectorOn(V1), uri: 'not a uri' }, /is not protected by key/],
    ])('refuses a discovered target whose protector is %s', async (_label, protector, words) => {
      // Prepare
      const f = discovery(protector);

      // Act
      const e = await refusal(resolveTarget(f.deps, item(FOUND)));

      // Assess
      expect(e).toMatchObject({ code: 'NotInConfig' });
      expect(e.message).toMatch(words);
    });

    it('names a managed instance as one when refusing it', async () => {
      const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: true } });
      f.sql.addServer(MI, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});

      expect((await refusal(resolveTarget(f.deps, item(MI)))).message).toMatch(/managed instance .* is not protected/);
    });

    it('refuses an id in a scope that names no target, without reading anything', async () => {
      // Prepare
      const f = discovery();
      f.sql.readFaults.failAlways(`${SCOPE}/providers/Microsoft.Web/sites/app`, new Error('must not be read'));

      // Act
      const e = await refusal(resolveTarget(f.deps, item(`${SCOPE}/providers/Microsoft.Web/sites/app`)));

      // Assess
      expect(e.message).toMatch(/is not the id of a logical server, managed instance or database/);
    });

    it('refuses a target outside every scope, and any target of a key without discovery', async () => {
      const outside = await refusal(resolveTarget(discovery().deps, item(FOUND.replace('rg-sql', 'rg-other'))));
      const noDiscovery = await refusal(resolveTarget(reconcileFixture({ servers: [] }).deps, item(FOUND)));

      expect(outside.message).toMatch(/lies in none of its discovery scopes/);
      expect(noDiscovery.message).toMatch(/lies in none of its discovery scopes/);
    });
  });
});

describe('Function: protectsWith', () => {
  const key = parseKeyId(KEY);

  it.each([
    ['a versioned protector on the key', protectorOn(V1), true],
    ['a versionless protector on the key', protectorOn(undefined), true],
    ['the key in another case', { ...protectorOn(V1), uri: `https://CONTOSO-TDE.vault.azure.net/keys/TDE-KEY/${V1}` }, true],
    ['another key', { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, false],
    ['no uri', { ...protectorOn(V1), uri: undefined }, false],
    ['an empty uri', { ...protectorOn(V1), uri: '' }, false],
    ['a service-managed protector', { ...protectorOn(V1), serverKeyType: 'ServiceManaged' as const }, false],
    ['a uri that is no key id', { ...protectorOn(V1), uri: 'https://contoso-tde.vault.azure.net/secrets/tde-key' }, false],
  ])('says whether %s protects with the key: %s', (_label, protector, expected) => {
    expect(protectsWith(protector as Parameters<typeof protectsWith>[0], key)).toBe(expected);
  });
});
