import { describe, expect, it } from 'vitest';
import { currentVersionState, isNewerThanCurrent } from '../../src/app/currentVersionState.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { KEY, V1, V2, keyVersion } from '../support/reconcileFixture.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const id = (v: string) => parseKeyId(`${KEY}/${v}`);
/** Versions with letters, so that a comparison that ignores case is told from one that does not. */
const VA = 'a'.repeat(32);
const VB = 'b'.repeat(32);
const VC = 'c'.repeat(32);
const DISABLED_403 = (): RotationError => new RotationError('Forbidden', 'terminal', 'disabled', { details: { statusCode: 403 } });

describe('Function: currentVersionState', () => {
  const cases: [string, (k: FakeKeyReader) => void, { state: 'usable' | 'unusable'; code?: string }][] = [
    ['an enabled version in its validity window is usable', (k) => k.add(keyVersion(V1, '2026-01-01T00:00:00Z')), { state: 'usable' }],
    ['a disabled version (200, enabled: false) is unusable', (k) => k.add(keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false })), { state: 'unusable', code: 'AzureKeyVaultKeyDisabled' }],
    [
      'a disabled version (403 KeyDisabled) is unusable',
      (k) => {
        k.add(keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false }));
        k.faults.failAlways(`${KEY}/${V1}`, new RotationError('Forbidden', 'terminal', 'disabled', { details: { statusCode: 403 } }));
      },
      { state: 'unusable', code: 'AzureKeyVaultKeyDisabled' },
    ],
    ['an expired version is unusable', (k) => k.add(keyVersion(V1, '2026-01-01T00:00:00Z', { expiresOn: new Date('2026-05-01T00:00:00Z') })), { state: 'unusable', code: 'AzureKeyVaultInvalidExpirationDate' }],
    ['a deleted version (404) is unusable', () => undefined, { state: 'unusable', code: 'KeyVersionNotFound' }],
  ];
  it.each(cases)('%s', async (_name, arrange, expected) => {
    // Prepare
    const keys = new FakeKeyReader();
    arrange(keys);

    // Act
    const state = await currentVersionState(keys, id(V1), NOW);

    // Assess
    expect(state.state).toBe(expected.state);
    if (state.state === 'unusable') {
      expect(state.code).toBe(expected.code);
      expect(state.reason).toContain(id(V1).id);
    }
  });

  it('calls a version in place usable even where the pre-flight would refuse it as a new one (size not reported)', async () => {
    // Prepare
    const keys = new FakeKeyReader().add(keyVersion(V1, '2026-01-01T00:00:00Z', { keySize: undefined }));

    // Act
    const state = await currentVersionState(keys, id(V1), NOW);

    // Assess
    expect(state).toEqual({ state: 'usable', createdOn: new Date('2026-01-01T00:00:00Z') });
  });

  it('keeps the creation time of a version disabled as 403, from the listing of the versions', async () => {
    // Prepare: VB is listed first, so only the version in place gives VA's creation time
    const keys = new FakeKeyReader().add(keyVersion(VB, '2026-03-01T00:00:00Z')).add(keyVersion(VA, '2026-01-01T00:00:00Z', { enabled: false }));
    keys.faults.failAlways(`${KEY}/${VA}`, DISABLED_403());

    // Act
    const state = await currentVersionState(keys, id(VA), NOW);

    // Assess
    expect(state).toEqual({
      state: 'unusable',
      code: 'AzureKeyVaultKeyDisabled',
      reason: expect.stringContaining(id(VA).id) as string,
      createdOn: new Date('2026-01-01T00:00:00Z'),
    });
  });

  it('calls a version disabled as 403 unusable without a creation time when the listing does not show it', async () => {
    // Prepare
    const keys = new FakeKeyReader().add(keyVersion(VB, '2026-03-01T00:00:00Z'));
    keys.faults.failAlways(`${KEY}/${VA}`, DISABLED_403());

    // Act
    const state = await currentVersionState(keys, id(VA), NOW);

    // Assess
    expect(state).toEqual({ state: 'unusable', code: 'AzureKeyVaultKeyDisabled', reason: expect.stringContaining(id(VA).id) as string });
  });

  it('refuses to judge a version Key Vault reports without a creation time, naming it', async () => {
    // Prepare
    const { createdOn: _reported, ...withoutCreated } = keyVersion(V1, '2026-01-01T00:00:00Z');
    const keys = new FakeKeyReader().add(withoutCreated);
    const key = id(V1);

    // Act
    const judged = currentVersionState(keys, key, NOW);

    // Assess
    await expect(judged).rejects.toMatchObject({
      code: 'UnexpectedResponse',
      errorClass: 'terminal',
      details: { vault: key.vaultName, key: key.name, version: V1 },
    });
  });

  it('passes on an error that is no RotationError (a bug) as it is', async () => {
    // Prepare
    const bug = new TypeError('x is undefined');
    const keys = new FakeKeyReader().add(keyVersion(V1, '2026-01-01T00:00:00Z'));
    keys.faults.failNext(`${KEY}/${V1}`, bug);

    // Act
    const judged = currentVersionState(keys, id(V1), NOW);

    // Assess
    await expect(judged).rejects.toBe(bug);
  });

  it('passes on an outage instead of calling the version unusable', async () => {
    const keys = new FakeKeyReader().add(keyVersion(V1, '2026-01-01T00:00:00Z'));
    keys.faults.failNext(`${KEY}/${V1}`, new RotationError('ServiceUnavailable', 'retriable', 'down', { details: { statusCode: 503 } }));

    await expect(currentVersionState(keys, id(V1), NOW)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });
});

describe('Function: isNewerThanCurrent', () => {
  const keys = new FakeKeyReader()
    .add(keyVersion(V1, '2026-01-01T00:00:00Z'))
    .add(keyVersion(V2, '2026-03-01T00:00:00Z'))
    .add(keyVersion(VC, '2026-03-01T00:00:00Z'));

  it.each([
    ['a later version replaces an earlier one', V2, new Date('2026-03-01T00:00:00Z'), { state: 'usable' as const, createdOn: new Date('2026-01-01T00:00:00Z') }, true],
    ['an earlier version never replaces a later one', V1, new Date('2026-01-01T00:00:00Z'), { state: 'usable' as const, createdOn: new Date('2026-03-01T00:00:00Z') }, false],
    ['nor a later one that is disabled (never backwards)', V1, new Date('2026-01-01T00:00:00Z'), { state: 'unusable' as const, code: 'AzureKeyVaultKeyDisabled', reason: 'r', createdOn: new Date('2026-03-01T00:00:00Z') }, false],
    ['anything replaces a deleted version', V1, new Date('2026-01-01T00:00:00Z'), { state: 'unusable' as const, code: 'KeyVersionNotFound', reason: 'r' }, true],
    ['a tie goes to the version Key Vault names the latest (VC, added last)', VC, new Date('2026-03-01T00:00:00Z'), { state: 'usable' as const, createdOn: new Date('2026-03-01T00:00:00Z') }, true],
    ['and not to the other one', V2, new Date('2026-03-01T00:00:00Z'), { state: 'usable' as const, createdOn: new Date('2026-03-01T00:00:00Z') }, false],
  ])('%s', async (_name, candidate, created, current, expected) => {
    expect(await isNewerThanCurrent(keys, id(candidate), created, current)).toBe(expected);
  });
});
