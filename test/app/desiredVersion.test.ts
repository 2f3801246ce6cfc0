import { describe, expect, it } from 'vitest';
import { desiredVersion } from '../../src/app/desiredVersion.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { KEY, V1, V2, V3, keyVersion } from '../support/reconcileFixture.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const V4 = '4'.repeat(32);
const key = parseKeyId(KEY);

function reader(...versions: ReturnType<typeof keyVersion>[]): FakeKeyReader {
  const r = new FakeKeyReader();
  for (const v of versions) r.add(v);
  return r;
}

const standard = () =>
  reader(keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z'), keyVersion(V3, '2026-05-01T00:00:00Z'));

describe('Function: desiredVersion', () => {
  it('is the newest version, with its id and creation time', async () => {
    const d = await desiredVersion(standard(), key, NOW);

    expect(d).toEqual({ key: parseKeyId(`${KEY}/${V3}`), version: V3, createdOn: new Date('2026-05-01T00:00:00Z'), refused: [] });
  });

  it('is the same when asked with a versioned id of the key', async () => {
    const d = await desiredVersion(standard(), parseKeyId(`${KEY}/${V1}`), NOW);

    expect(d.version).toBe(V3);
    expect(d.key.id).toBe(`${KEY}/${V3}`);
  });

  it.each([
    ['disabled in the listing', { enabled: false }],
    ['listed without a creation time', { createdOn: undefined }],
    ['listed without a version', { version: '' }],
  ])('passes over a newer version %s without reading it', async (_label, overrides) => {
    // Prepare
    const keys = reader(keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z', overrides));

    // Act
    const d = await desiredVersion(keys, key, NOW);

    // Assess
    expect(d.version).toBe(V1);
    expect(d.refused).toEqual([]);
    expect(keys.reads).toBe(1);
  });

  it('passes over a newer version Azure would refuse, newest first, with the code', async () => {
    // Prepare
    const keys = reader(
      keyVersion(V1, '2026-01-01T00:00:00Z'),
      keyVersion(V2, '2026-03-01T00:00:00Z', { keySize: 4096 }),
      keyVersion(V3, '2026-05-01T00:00:00Z', { keyType: 'EC' }),
    );

    // Act
    const d = await desiredVersion(keys, key, NOW);

    // Assess
    expect(d.version).toBe(V1);
    expect(d.refused.map((r) => [r.version, r.code])).toEqual([
      [V3, 'AzureKeyVaultRsaKeyNotSupported'],
      [V2, 'AzureKeyVaultRsaKeyNotSupported'],
    ]);
  });

  it.each([
    ['403 KeyDisabled', new RotationError('Forbidden', 'terminal', 'disabled', { details: { statusCode: 403 } }), 'AzureKeyVaultKeyDisabled'],
    ['a KeyDisabled code', new RotationError('KeyDisabled', 'terminal', 'disabled'), 'AzureKeyVaultKeyDisabled'],
    ['404 (deleted since the listing)', new RotationError('KeyNotFound', 'terminal', 'gone', { details: { statusCode: 404 } }), 'KeyVersionNotFound'],
  ])('passes over a version whose read answers %s', async (_label, error, code) => {
    // Prepare
    const keys = standard();
    keys.faults.failAlways(`${KEY}/${V3}`, error);

    // Act
    const d = await desiredVersion(keys, key, NOW);

    // Assess
    expect(d.version).toBe(V2);
    expect(d.refused).toEqual([{ version: V3, code, reason: `key ${KEY}/${V3} cannot be read (${error.code})` }]);
  });

  it('throws any other failure of a version read (a refused request is no verdict on the version)', async () => {
    const keys = standard();
    keys.faults.failAlways(`${KEY}/${V3}`, new RotationError('BadParameter', 'terminal', 'bad', { details: { statusCode: 400 } }));

    await expect(desiredVersion(keys, key, NOW)).rejects.toMatchObject({ code: 'BadParameter' });
  });

  it('throws NoEnabledKeyVersion, terminal, naming the vault and key, when nothing is allowed', async () => {
    const keys = reader(keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false }));

    await expect(desiredVersion(keys, key, NOW)).rejects.toMatchObject({
      code: 'NoEnabledKeyVersion',
      errorClass: 'terminal',
      details: { vault: 'contoso-tde', key: 'tde-key' },
    });
  });

  describe('the version the trigger names (a hint)', () => {
    it('reads a hinted version the listing does not show yet, and takes it when newest', async () => {
      // Prepare
      const keys = standard();
      const listed = await keys.listVersions(key);
      keys.add(keyVersion(V4, '2026-05-20T00:00:00Z'));
      keys.listVersions = () => Promise.resolve(listed);

      // Act
      const d = await desiredVersion(keys, key, NOW, V4.toUpperCase());

      // Assess
      expect(d.version).toBe(V4);
    });

    it.each([
      ['disabled', { enabled: false }],
      ['without a creation time', { createdOn: undefined }],
    ])('ignores a hinted version that is %s', async (_label, overrides) => {
      // Prepare
      const keys = standard();
      const listed = await keys.listVersions(key);
      keys.add(keyVersion(V4, '2026-05-20T00:00:00Z', overrides));
      keys.listVersions = () => Promise.resolve(listed);

      // Act
      const d = await desiredVersion(keys, key, NOW, V4);

      // Assess
      expect(d.version).toBe(V3);
    });

    it('ignores a hinted version Key Vault does not know (terminal)', async () => {
      const d = await desiredVersion(standard(), key, NOW, V4);

      expect(d.version).toBe(V3);
    });

    it('throws when the hinted version cannot be read for now (retriable)', async () => {
      const keys = standard();
      keys.faults.failAlways(`${KEY}/${V4}`, new RotationError('ServiceUnavailable', 'retriable', 'down', { details: { statusCode: 503 } }));

      await expect(desiredVersion(keys, key, NOW, V4)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    });

    it('does not read a hinted version the listing shows, whatever its case', async () => {
      // Prepare
      const keys = standard();

      // Act
      const d = await desiredVersion(keys, key, NOW, V2.toUpperCase());

      // Assess
      expect(d.version).toBe(V3);
      expect(keys.reads).toBe(1);
    });

    it('never lets a hint pick an older version', async () => {
      expect((await desiredVersion(standard(), key, NOW, V1)).version).toBe(V3);
    });
  });

  describe('versions with letters (Key Vault answers in lower case, triggers may not)', () => {
    const VA = 'ab'.repeat(16);
    const VB = 'cd'.repeat(16);

    it('does not read a hinted version the listing shows in another case', async () => {
      // Prepare
      const keys = reader(keyVersion(VA, '2026-01-01T00:00:00Z'), keyVersion(VB, '2026-02-01T00:00:00Z'));

      // Act
      await desiredVersion(keys, key, NOW, VA.toUpperCase());

      // Assess
      expect(keys.reads).toBe(1);
    });

    it('finds Key Vault\'s latest among tied versions whatever the case of its answer', async () => {
      const keys = reader(keyVersion(VB, '2026-02-01T00:00:00Z'), keyVersion(VA, '2026-02-01T00:00:00Z'));
      const getKey = keys.getKey.bind(keys);
      keys.getKey = async (k) => {
        const props = await getKey(k);
        return k.version === undefined ? { ...props, version: props.version.toUpperCase() } : props;
      };

      expect((await desiredVersion(keys, key, NOW)).version).toBe(VA);
    });

    it('keeps the order when Key Vault\'s latest is not among the allowed versions', async () => {
      const keys = reader(keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(VA, '2026-02-01T00:00:00Z'), keyVersion(VB, '2026-02-01T00:00:00Z'), keyVersion(V2, '2026-02-01T00:00:00Z', { enabled: false }));

      // Latest: V2 (added last among the newest), disabled, so not a candidate: the listing order stands.
      expect((await desiredVersion(keys, key, NOW)).version).toBe(VA);
    });
  });

  describe('versions created in the same second', () => {
    const tied = () => reader(keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V3, '2026-05-01T00:00:00Z'), keyVersion(V2, '2026-05-01T00:00:00Z'));

    it("takes the one Key Vault calls the latest", async () => {
      // FakeKeyReader's latest: the newest, and among equals the one added last (V2).
      const d = await desiredVersion(tied(), key, NOW);

      expect(d.version).toBe(V2);
    });

    it('keeps the listing order when the latest cannot be read', async () => {
      // Prepare
      const keys = tied();
      keys.faults.failAlways(KEY, new RotationError('ServiceUnavailable', 'retriable', 'down'));

      // Act
      const d = await desiredVersion(keys, key, NOW);

      // Assess
      expect(d.version).toBe(V3);
    });

    it('does not ask for the latest when the newest version stands alone', async () => {
      // Prepare
      const keys = reader(keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-01-01T00:00:00Z'), keyVersion(V3, '2026-05-01T00:00:00Z'));

      // Act
      await desiredVersion(keys, key, NOW);

      // Assess
      expect(keys.reads).toBe(1);
    });
  });
});
