import { describe, expect, it } from 'vitest';
import { isStrictlyNewer, protectorStep, versionOrder, type ProtectorView } from '../../src/domain/protectorStep.js';
import { parseKeyId } from '../../src/domain/keyId.js';

const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V1 = '1'.repeat(32);
const V2 = '2'.repeat(32);
const next = parseKeyId(`${KEY}/${V2}`);
const on = (uri: string | undefined, autoRotationEnabled = false, serverKeyType: ProtectorView['serverKeyType'] = 'AzureKeyVault'): ProtectorView => ({
  serverKeyName: 'whatever',
  serverKeyType,
  ...(uri === undefined ? {} : { uri }),
  autoRotationEnabled,
});

describe('Function: protectorStep', () => {
  // Expected from the product's rules (README, "The rules of convergence"), not from the code.
  const table: [string, ProtectorView, { action: 'keep' | 'compare'; why?: string; kind?: 'rotated' | 'skipped' }][] = [
    ['auto-rotation on: Azure rotates it', on(`${KEY}/${V1}`, true), { action: 'keep', why: 'autoRotation', kind: 'rotated' }],
    ['auto-rotation wins even over a versionless uri', on(KEY, true), { action: 'keep', why: 'autoRotation', kind: 'rotated' }],
    ['service-managed: enabling CMK is not a rotation', on(undefined, false, 'ServiceManaged'), { action: 'keep', why: 'serviceManaged', kind: 'skipped' }],
    ['AzureKeyVault without a uri', on(undefined), { action: 'keep', why: 'serviceManaged', kind: 'skipped' }],
    ['service-managed, whatever uri it reports', on(`${KEY}/${V1}`, false, 'ServiceManaged'), { action: 'keep', why: 'serviceManaged', kind: 'skipped' }],
    ['a uri that is not a key id', on('https://example.com/not-a-key'), { action: 'keep', why: 'unmanagedUri', kind: 'skipped' }],
    ['another key of the same vault', on(`https://contoso-tde.vault.azure.net/keys/other/${V1}`), { action: 'keep', why: 'otherKey', kind: 'skipped' }],
    ['the same key name in another vault', on(`https://other-vault.vault.azure.net/keys/tde-key/${V1}`), { action: 'keep', why: 'otherKey', kind: 'skipped' }],
    ['already on this version', on(`${KEY}/${V2}`), { action: 'keep', why: 'sameVersion', kind: 'skipped' }],
    ['versionless: follows the newest by itself, never pinned', on(KEY), { action: 'keep', why: 'versionless', kind: 'rotated' }],
    ['another version of the key: compare creation times', on(`${KEY}/${V1}`), { action: 'compare' }],
  ];

  it('compares versions case-insensitively (ARM may answer in another case than Key Vault)', () => {
    const lower = parseKeyId(`${KEY}/${'ab'.repeat(16)}`);
    expect(protectorStep(on(`${KEY}/${'AB'.repeat(16)}`), lower)).toMatchObject({ action: 'keep', why: 'sameVersion' });
  });

  it.each(table)('%s', (_name, protector, expected) => {
    const step = protectorStep(protector, next);

    expect(step.action).toBe(expected.action);
    if (step.action === 'keep') {
      expect(step.why).toBe(expected.why);
      expect(step.kind).toBe(expected.kind);
      expect(step.reason.length).toBeGreaterThan(10);
    } else {
      expect(step.current.version).toBe(V1);
    }
  });
});

describe('Function: versionOrder', () => {
  const t = (iso: string) => new Date(iso);
  it.each([
    ['a later creation time is newer', t('2026-02-01T00:00:00Z'), t('2026-01-01T00:00:00Z'), 'newer'],
    ['an earlier one is older', t('2026-01-01T00:00:00Z'), t('2026-02-01T00:00:00Z'), 'older'],
    ['the same second ties', t('2026-01-01T00:00:00Z'), t('2026-01-01T00:00:00Z'), 'tie'],
    ['a version in place that no longer exists loses to anything', t('2020-01-01T00:00:00Z'), undefined, 'newer'],
  ] as const)('%s', (_name, candidate, current, expected) => {
    expect(versionOrder(candidate, current)).toBe(expected);
    expect(isStrictlyNewer(candidate, current)).toBe(expected === 'newer');
  });
});
