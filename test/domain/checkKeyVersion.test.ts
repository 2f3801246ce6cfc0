import { describe, expect, it } from 'vitest';
import { checkKeyVersion } from '../../src/domain/checkKeyVersion.js';
import type { KeyVersionProperties } from '../../src/app/ports.js';

const NOW = new Date('2024-05-01T10:00:00Z');
const V = '0123456789abcdef0123456789abcdef';

function key(overrides: { [K in keyof KeyVersionProperties]?: KeyVersionProperties[K] | undefined } = {}): KeyVersionProperties {
  const props: Record<string, unknown> = { id: `https://kv1.vault.azure.net/keys/tde/${V}`, version: V, enabled: true, keyType: 'RSA', keySize: 2048, ...overrides };
  // Drop explicit undefineds: under exactOptionalPropertyTypes an absent property is not an undefined one.
  for (const k of Object.keys(props)) if (props[k] === undefined) delete props[k];
  return props as unknown as KeyVersionProperties;
}

describe('Function: checkKeyVersion', () => {
  it.each([
    ['an enabled RSA 2048 key without dates', key()],
    ['an RSA 3072 key', key({ keySize: 3072 })],
    ['an RSA-HSM key', key({ keyType: 'RSA-HSM' })],
    ['a key valid since now', key({ notBefore: NOW })],
    ['a key expiring in a second', key({ expiresOn: new Date(NOW.getTime() + 1000) })],
    ['a key inside its validity window', key({ notBefore: new Date('2024-01-01Z'), expiresOn: new Date('2025-01-01Z') })],
  ])('accepts %s', (_label, props) => {
    expect(checkKeyVersion(props, NOW)).toEqual({ ok: true });
  });

  it.each([
    ['a disabled key', key({ enabled: false }), 'AzureKeyVaultKeyDisabled', /disabled/],
    ['an EC key', key({ keyType: 'EC', keySize: undefined }), 'AzureKeyVaultRsaKeyNotSupported', /type EC/],
    ['an oct-HSM key', key({ keyType: 'oct-HSM' }), 'AzureKeyVaultRsaKeyNotSupported', /type oct-HSM/],
    ['a lowercase rsa type', key({ keyType: 'rsa' }), 'AzureKeyVaultRsaKeyNotSupported', /type rsa/],
    ['an RSA 4096 key', key({ keySize: 4096 }), 'AzureKeyVaultRsaKeyNotSupported', /4096 bits/],
    ['an RSA 1024 key', key({ keySize: 1024 }), 'AzureKeyVaultRsaKeyNotSupported', /1024 bits/],
    ['an RSA key of unknown size', key({ keySize: undefined }), 'AzureKeyVaultRsaKeyNotSupported', /unknown size/],
    ['a key not valid yet', key({ notBefore: new Date(NOW.getTime() + 60_000) }), 'AzureKeyVaultInvalidExpirationDate', /not valid before/],
    ['an expired key', key({ expiresOn: new Date('2024-04-30T00:00:00Z') }), 'AzureKeyVaultInvalidExpirationDate', /expired/],
    ['a key expiring right now', key({ expiresOn: NOW }), 'AzureKeyVaultInvalidExpirationDate', /expired/],
    ['a disabled EC key (disabled reported first)', key({ enabled: false, keyType: 'EC' }), 'AzureKeyVaultKeyDisabled', /disabled/],
  ])('refuses %s', (_label, props, code, reason) => {
    const result = checkKeyVersion(props, NOW);
    expect(result).toMatchObject({ ok: false, code });
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it.each([
    ['type', key({ keyType: 'EC', keySize: undefined }), /Azure SQL supports RSA or RSA-HSM$/],
    ['size', key({ keySize: 4096 }), /Azure SQL supports 2048 or 3072 bits$/],
  ])('names what Azure SQL supports when it refuses a key for its %s', (_label, props, reason) => {
    const result = checkKeyVersion(props, NOW);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
