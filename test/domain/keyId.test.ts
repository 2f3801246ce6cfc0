import { describe, expect, it } from 'vitest';
import { parseKeyId, parseVaultUrl, serverKeyName } from '../../src/domain/keyId.js';
import { InvalidKeyIdError } from '../../src/domain/errors.js';

const V = '0123456789abcdef0123456789abcdef';

interface Accepted {
  readonly raw: string;
  readonly vaultName: string;
  readonly dnsSuffix: string;
  readonly kind: 'vault' | 'managedHsm';
  readonly name: string;
  readonly version?: string;
  readonly id: string;
  readonly serverKeyName: string;
}

const accepted: Accepted[] = [
  { raw: `https://contoso.vault.azure.net/keys/tde/${V}`, vaultName: 'contoso', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'tde', version: V, id: `https://contoso.vault.azure.net/keys/tde/${V}`, serverKeyName: `contoso_tde_${V}` },
  { raw: 'https://contoso.vault.azure.net/keys/tde', vaultName: 'contoso', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'tde', id: 'https://contoso.vault.azure.net/keys/tde', serverKeyName: 'contoso_tde' },
  { raw: `https://contoso-hsm.managedhsm.azure.net/keys/tde/${V}`, vaultName: 'contoso-hsm', dnsSuffix: 'managedhsm.azure.net', kind: 'managedHsm', name: 'tde', version: V, id: `https://contoso-hsm.managedhsm.azure.net/keys/tde/${V}`, serverKeyName: `contoso-hsm_tde_${V}` },
  { raw: 'https://contoso-hsm.managedhsm.azure.net/keys/tde', vaultName: 'contoso-hsm', dnsSuffix: 'managedhsm.azure.net', kind: 'managedHsm', name: 'tde', id: 'https://contoso-hsm.managedhsm.azure.net/keys/tde', serverKeyName: 'contoso-hsm_tde' },
  { raw: `https://kvcn.vault.azure.cn/keys/k1/${V}`, vaultName: 'kvcn', dnsSuffix: 'vault.azure.cn', kind: 'vault', name: 'k1', version: V, id: `https://kvcn.vault.azure.cn/keys/k1/${V}`, serverKeyName: `kvcn_k1_${V}` },
  { raw: 'https://kvcn.vault.azure.cn/keys/k1', vaultName: 'kvcn', dnsSuffix: 'vault.azure.cn', kind: 'vault', name: 'k1', id: 'https://kvcn.vault.azure.cn/keys/k1', serverKeyName: 'kvcn_k1' },
  { raw: `https://hsmcn.managedhsm.azure.cn/keys/k1/${V}`, vaultName: 'hsmcn', dnsSuffix: 'managedhsm.azure.cn', kind: 'managedHsm', name: 'k1', version: V, id: `https://hsmcn.managedhsm.azure.cn/keys/k1/${V}`, serverKeyName: `hsmcn_k1_${V}` },
  { raw: `https://kvgov.vault.usgovcloudapi.net/keys/k1/${V}`, vaultName: 'kvgov', dnsSuffix: 'vault.usgovcloudapi.net', kind: 'vault', name: 'k1', version: V, id: `https://kvgov.vault.usgovcloudapi.net/keys/k1/${V}`, serverKeyName: `kvgov_k1_${V}` },
  { raw: 'https://kvgov.vault.usgovcloudapi.net/keys/k1', vaultName: 'kvgov', dnsSuffix: 'vault.usgovcloudapi.net', kind: 'vault', name: 'k1', id: 'https://kvgov.vault.usgovcloudapi.net/keys/k1', serverKeyName: 'kvgov_k1' },
  { raw: `https://hsmgov.managedhsm.usgovcloudapi.net/keys/k1/${V}`, vaultName: 'hsmgov', dnsSuffix: 'managedhsm.usgovcloudapi.net', kind: 'managedHsm', name: 'k1', version: V, id: `https://hsmgov.managedhsm.usgovcloudapi.net/keys/k1/${V}`, serverKeyName: `hsmgov_k1_${V}` },
  // Host case is normalised; the key name keeps its case; the version is lowercased.
  { raw: `https://Contoso.VAULT.Azure.NET/keys/MyKey/${V.toUpperCase()}`, vaultName: 'contoso', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'MyKey', version: V, id: `https://contoso.vault.azure.net/keys/MyKey/${V}`, serverKeyName: `contoso_MyKey_${V}` },
  // One optional trailing slash is dropped.
  { raw: 'https://contoso.vault.azure.net/keys/tde/', vaultName: 'contoso', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'tde', id: 'https://contoso.vault.azure.net/keys/tde', serverKeyName: 'contoso_tde' },
  { raw: `https://contoso.vault.azure.net/keys/tde/${V}/`, vaultName: 'contoso', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'tde', version: V, id: `https://contoso.vault.azure.net/keys/tde/${V}`, serverKeyName: `contoso_tde_${V}` },
  // Name and vault length limits.
  { raw: `https://abc.vault.azure.net/keys/${'k'.repeat(127)}`, vaultName: 'abc', dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'k'.repeat(127), id: `https://abc.vault.azure.net/keys/${'k'.repeat(127)}`, serverKeyName: `abc_${'k'.repeat(127)}` },
  { raw: `https://${'a'.repeat(23)}1.vault.azure.net/keys/k-1`, vaultName: `${'a'.repeat(23)}1`, dnsSuffix: 'vault.azure.net', kind: 'vault', name: 'k-1', id: `https://${'a'.repeat(23)}1.vault.azure.net/keys/k-1`, serverKeyName: `${'a'.repeat(23)}1_k-1` },
  { raw: 'https://a-b-c.vault.azure.net/keys/0-key-', vaultName: 'a-b-c', dnsSuffix: 'vault.azure.net', kind: 'vault', name: '0-key-', id: 'https://a-b-c.vault.azure.net/keys/0-key-', serverKeyName: 'a-b-c_0-key-' },
];

/** [description, raw, fragment of the expected message] */
const rejected: [string, unknown, RegExp][] = [
  ['http scheme', `http://contoso.vault.azure.net/keys/tde/${V}`, /scheme must be https/],
  ['ftp scheme', 'ftp://contoso.vault.azure.net/keys/tde', /scheme must be https/],
  ['no scheme', 'contoso.vault.azure.net/keys/tde', /absolute URL/],
  ['scheme without slashes', 'https:contoso.vault.azure.net/keys/tde', /https:\/\//],
  ['explicit port 443', `https://contoso.vault.azure.net:443/keys/tde/${V}`, /port/],
  ['explicit port 8443', 'https://contoso.vault.azure.net:8443/keys/tde', /port/],
  ['userinfo', 'https://user@contoso.vault.azure.net/keys/tde', /userinfo/],
  ['userinfo with password', 'https://user:pw@contoso.vault.azure.net/keys/tde', /userinfo/],
  ['query', `https://contoso.vault.azure.net/keys/tde/${V}?api-version=7.4`, /query/],
  ['empty query', 'https://contoso.vault.azure.net/keys/tde?', /query/],
  ['fragment', 'https://contoso.vault.azure.net/keys/tde#x', /fragment/],
  ['empty fragment', 'https://contoso.vault.azure.net/keys/tde#', /fragment/],
  ['percent-encoded name', 'https://contoso.vault.azure.net/keys/t%64e', /percent-encoding/],
  ['percent-encoded slash', 'https://contoso.vault.azure.net/keys%2Ftde', /percent-encoding/],
  ['dot-dot segment', 'https://contoso.vault.azure.net/keys/../keys/tde', /dot segments/],
  ['dot segment', 'https://contoso.vault.azure.net/keys/./tde', /dot segments/],
  ['double slash', 'https://contoso.vault.azure.net/keys//tde', /empty path segment/],
  ['two trailing slashes', 'https://contoso.vault.azure.net/keys/tde//', /empty path segment/],
  ['extra segment', `https://contoso.vault.azure.net/keys/tde/${V}/extra`, /extra path segments/],
  ['secret id', `https://contoso.vault.azure.net/secrets/tde/${V}`, /secret id/],
  ['certificate id', `https://contoso.vault.azure.net/certificates/tde/${V}`, /certificate id/],
  ['upper-case collection', 'https://contoso.vault.azure.net/KEYS/tde', /\/keys\//],
  ['no path', 'https://contoso.vault.azure.net', /missing path/],
  ['root path', 'https://contoso.vault.azure.net/', /missing path/],
  ['missing key name', 'https://contoso.vault.azure.net/keys', /missing key name/],
  ['name with underscore', 'https://contoso.vault.azure.net/keys/my_key', /key name/],
  ['name too long', `https://contoso.vault.azure.net/keys/${'k'.repeat(128)}`, /key name/],
  ['short version', 'https://contoso.vault.azure.net/keys/tde/0123456789abcdef', /32 hexadecimal/],
  ['non-hex version', 'https://contoso.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdeg', /32 hexadecimal/],
  ['version too long', `https://contoso.vault.azure.net/keys/tde/${V}0`, /32 hexadecimal/],
  ['lookalike suffix', `https://contoso.vault.azure.net.evil.com/keys/tde/${V}`, /accepted Key Vault/],
  ['attacker suffix', 'https://evil-vault.azure.net.attacker/keys/tde', /accepted Key Vault/],
  ['vault name in path of other host', 'https://evil.com/contoso.vault.azure.net/keys/tde', /accepted Key Vault/],
  ['trailing dot host', 'https://contoso.vault.azure.net./keys/tde', /accepted Key Vault/],
  ['nested subdomain', 'https://a.contoso.vault.azure.net/keys/tde', /accepted Key Vault/],
  ['bare suffix', 'https://vault.azure.net/keys/tde', /accepted Key Vault/],
  ['storage host', 'https://contoso.blob.core.windows.net/keys/tde', /accepted Key Vault/],
  ['punycode vault', 'https://xn--cntoso-bva.vault.azure.net/keys/tde', /consecutive hyphens/],
  ['unicode host', 'https://cöntoso.vault.azure.net/keys/tde', /non-ASCII/],
  ['vault name too short', 'https://ab.vault.azure.net/keys/tde', /3-24/],
  ['vault name too long', `https://${'a'.repeat(25)}.vault.azure.net/keys/tde`, /3-24/],
  ['vault name starts with digit', 'https://1contoso.vault.azure.net/keys/tde', /start with a letter/],
  ['vault name ends with hyphen', 'https://contoso-.vault.azure.net/keys/tde', /end with a letter or digit/],
  ['vault name consecutive hyphens', 'https://con--toso.vault.azure.net/keys/tde', /consecutive hyphens/],
  ['leading whitespace', ' https://contoso.vault.azure.net/keys/tde', /whitespace/],
  ['trailing newline', 'https://contoso.vault.azure.net/keys/tde\n', /whitespace/],
  ['tab inside', 'https://contoso.vault.azure.net/keys/t\tde', /whitespace/],
  ['backslash', 'https://contoso.vault.azure.net\\keys\\tde', /backslash/],
  ['empty string', '', /empty/],
  ['undefined', undefined, /expected a string/],
  ['number', 42, /expected a string/],
  ['null', null, /expected a string, got null/],
  ['object', { id: 'https://contoso.vault.azure.net/keys/tde' }, /expected a string/],
  ['2,049 characters', `https://contoso.vault.azure.net/keys/tde/${'a'.repeat(2049 - 'https://contoso.vault.azure.net/keys/tde/'.length)}`, /longer than 2048 characters$/],
  ['no host', 'https:///keys/tde', /: missing host$/],
  ['a host without a dot', 'https://contoso/keys/tde', /: host "contoso" is not a Key Vault or Managed HSM host$/],
  ['an unaccepted suffix (the reason lists the accepted ones)', 'https://contoso.example.com/keys/tde', /\(vault\.azure\.net, .*managedhsm\.azure\.net.*\)$/],
  ['a scheme that does not start the id', '/https://contoso.vault.azure.net/keys/tde', /not an absolute URL/],
  ['an underscore in the vault name', 'https://con_toso.vault.azure.net/keys/tde', /only letters, digits and hyphens$/],
  ['a vault name ending in a symbol after valid characters', 'https://contoso!.vault.azure.net/keys/tde', /only letters, digits and hyphens$/],
  ['a vault name starting with a symbol', 'https://!contoso.vault.azure.net/keys/tde', /only letters, digits and hyphens$/],
  ['another collection', 'https://contoso.vault.azure.net/storage/tde', /path must start with \/keys\/ \(found \/storage\/\)$/],
];

describe('Function: parseKeyId (what the message shows)', () => {
  it('quotes the id as given', () => {
    expect(() => parseKeyId('https://contoso.vault.azure.net/storage/tde')).toThrow('Invalid key id "https://contoso.vault.azure.net/storage/tde": ');
  });

  it('shows the first 200 characters of a longer id, then "..."', () => {
    const raw = `https://contoso.vault.azure.net/keys/${'k'.repeat(300)}`;

    expect(() => parseKeyId(raw)).toThrow(`Invalid key id "${raw.slice(0, 200)}...": key name`);
  });

  it('shows an id of exactly 200 characters whole', () => {
    const raw = `https://contoso.vault.azure.net/storage/${'k'.repeat(200 - 'https://contoso.vault.azure.net/storage/'.length)}`;

    expect(raw).toHaveLength(200);
    expect(() => parseKeyId(raw)).toThrow(`Invalid key id "${raw}": `);
  });

  it('accepts an id of exactly 2,048 characters as far as length goes', () => {
    const raw = `https://contoso.vault.azure.net/keys/tde/${'a'.repeat(2048 - 'https://contoso.vault.azure.net/keys/tde/'.length)}`;

    expect(raw).toHaveLength(2048);
    expect(() => parseKeyId(raw)).toThrow(/32 hexadecimal characters$/);
  });
});

describe('Function: parseKeyId', () => {
  it.each(accepted)('accepts $raw', (c) => {
    const key = parseKeyId(c.raw);
    expect(key.vaultName).toBe(c.vaultName);
    expect(key.dnsSuffix).toBe(c.dnsSuffix);
    expect(key.kind).toBe(c.kind);
    expect(key.name).toBe(c.name);
    expect(key.version).toBe(c.version);
    expect(key.id).toBe(c.id);
    expect(key.vaultUrl).toBe(`https://${c.vaultName}.${c.dnsSuffix}`);
    expect(key.versionlessId).toBe(`https://${c.vaultName}.${c.dnsSuffix}/keys/${c.name}`);
    expect(serverKeyName(key)).toBe(c.serverKeyName);
  });

  it.each(rejected)('rejects %s', (_label, raw, message) => {
    let thrown: unknown;
    try {
      parseKeyId(raw as string);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidKeyIdError);
    const err = thrown as InvalidKeyIdError;
    expect(err.code).toBe('InvalidKeyId');
    expect(err.errorClass).toBe('terminal');
    expect(err.message).toMatch(message);
  });

  it('holds at least 40 cases', () => {
    expect(accepted.length + rejected.length).toBeGreaterThanOrEqual(40);
  });

  it('returns a frozen value', () => {
    expect(Object.isFrozen(parseKeyId('https://contoso.vault.azure.net/keys/tde'))).toBe(true);
  });

  it('round-trips its own id', () => {
    for (const c of accepted) {
      const key = parseKeyId(c.raw);
      expect(parseKeyId(key.id)).toEqual(key);
    }
  });
});

describe('Function: parseVaultUrl', () => {
  it.each([
    ['https://contoso-sync.vault.azure.net', 'https://contoso-sync.vault.azure.net'],
    ['https://Contoso-Sync.vault.azure.net/', 'https://contoso-sync.vault.azure.net'],
    ['https://kv1.vault.usgovcloudapi.net', 'https://kv1.vault.usgovcloudapi.net'],
  ])('accepts %s', (raw, vaultUrl) => {
    const r = parseVaultUrl(raw);
    expect(r.ok && r.vaultUrl).toBe(vaultUrl);
  });

  it.each([
    'http://contoso.vault.azure.net',
    'https://contoso.vault.azure.net/secrets',
    'https://contoso.vault.azure.net:443',
    'https://contoso.vault.azure.net.evil.com',
  ])('rejects %s', (raw) => {
    expect(parseVaultUrl(raw).ok).toBe(false);
  });

  it.each([
    ['a path', 'https://contoso.vault.azure.net/secrets', 'a vault URL has no path (found "/secrets")'],
    ['a non-string', 42, 'expected a string, got number'],
    ['null', null, 'expected a string, got null'],
  ])('says why it rejects %s', (_label, raw, reason) => {
    expect(parseVaultUrl(raw)).toEqual({ ok: false, reason });
  });
});
