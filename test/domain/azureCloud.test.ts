import { describe, expect, it } from 'vitest';
import { AZURE_CLOUDS, cloudOfKeyVaultSuffix, cloudOfServiceBusHost, parseAzureCloud } from '../../src/domain/azureCloud.js';
import { KEY_VAULT_DNS_SUFFIXES } from '../../src/domain/keyId.js';

describe('Function: parseAzureCloud', () => {
  it.each([
    [undefined, 'AzureCloud'],
    ['', 'AzureCloud'],
    ['   ', 'AzureCloud'],
    ['AzureCloud', 'AzureCloud'],
    ['AzureChinaCloud', 'AzureChinaCloud'],
    [' azureusgovernment ', 'AzureUSGovernment'],
  ])('reads %j as %s', (raw, name) => {
    const r = parseAzureCloud(raw);

    expect(r.ok && r.cloud.name).toBe(name);
  });

  it.each(['AzureGermanCloud', 'public', 'China'])('refuses %s', (raw) => {
    expect(parseAzureCloud(raw)).toMatchObject({ ok: false, reason: expect.stringMatching(/AzureCloud, AzureChinaCloud, AzureUSGovernment/) as unknown });
  });
});

describe('Constant: AZURE_CLOUDS', () => {
  it.each([
    ['AzureCloud', 'https://management.azure.com', 'https://management.azure.com/.default', 'https://login.microsoftonline.com'],
    ['AzureChinaCloud', 'https://management.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default', 'https://login.chinacloudapi.cn'],
    ['AzureUSGovernment', 'https://management.usgovcloudapi.net', 'https://management.usgovcloudapi.net/.default', 'https://login.microsoftonline.us'],
  ] as const)('gives %s its ARM endpoint, ARM scope and authority host', (name, armEndpoint, armScope, authorityHost) => {
    expect(AZURE_CLOUDS[name]).toMatchObject({ armEndpoint, armScope, authorityHost });
  });

  it('covers every Key Vault suffix the key id parser accepts, each in exactly one cloud', () => {
    for (const suffix of Object.keys(KEY_VAULT_DNS_SUFFIXES)) {
      const owners = Object.values(AZURE_CLOUDS).filter((c) => c.keyVaultDnsSuffixes.includes(suffix));
      expect(owners.map((c) => c.name), suffix).toHaveLength(1);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(AZURE_CLOUDS.AzureChinaCloud)).toBe(true);
    expect(Object.isFrozen(AZURE_CLOUDS.AzureChinaCloud.keyVaultDnsSuffixes)).toBe(true);
  });
});

describe('Functions: cloudOfKeyVaultSuffix, cloudOfServiceBusHost', () => {
  it.each([
    ['vault.azure.net', 'AzureCloud'],
    ['managedhsm.azure.cn', 'AzureChinaCloud'],
    ['VAULT.USGOVCLOUDAPI.NET', 'AzureUSGovernment'],
    ['vault.example.com', undefined],
  ])('puts Key Vault suffix %s in %s', (suffix, cloud) => {
    expect(cloudOfKeyVaultSuffix(suffix)).toBe(cloud);
  });

  it.each([
    ['ns-rotation.servicebus.windows.net', 'AzureCloud'],
    ['ns-rotation.servicebus.chinacloudapi.cn', 'AzureChinaCloud'],
    ['ns-rotation.servicebus.usgovcloudapi.net', 'AzureUSGovernment'],
    ['servicebus.windows.net.evil.example', undefined],
  ])('puts Service Bus host %s in %s', (host, cloud) => {
    expect(cloudOfServiceBusHost(host)).toBe(cloud);
  });
});
