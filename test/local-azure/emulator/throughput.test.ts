import { describe, expect, it } from 'vitest';
import { parseEstate } from '@sql-key-rotation/local-azure';
import { harness, API, ARM } from './routerHarness.js';

const SUB = '11111111-2222-4333-8444-555555555555';
const V = '22222222222222222222222222222222';

describe('Emulator: per-request cost', () => {
  it('answers 4,000 ARM requests for 1,000 servers (key PUT, two polls, protector PUT) in under 5 seconds', async () => {
    // Prepare
    const servers = Array.from({ length: 1000 }, (_, i) => ({ name: `sql-${i}`, location: 'westeurope' }));
    const estate = parseEstate({
      tenantId: '0f1e2d3c-4b5a-4697-8877-665544332211',
      subscriptions: [{ id: SUB, resourceGroups: [{ name: 'rg', servers }] }],
      vaults: [{ name: 'bench', subscriptionId: SUB, resourceGroup: 'rg', keys: [{ name: 'k', versions: [{ version: V }] }] }],
    });
    const h = harness({ estate, writeBucket: false, pageSize: 100 });
    const keyName = `bench_k_${V}`;
    const start = performance.now();

    // Act
    for (let i = 0; i < 1000; i++) {
      const base = `${ARM}/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-${i}`;
      const put = await h.send('PUT', `${base}/keys/${keyName}?${API}`, { properties: { serverKeyType: 'AzureKeyVault', uri: `https://bench.vault.azure.net/keys/k/${V}` } });
      await h.send('GET', put.headers['azure-asyncoperation']!);
      await h.send('GET', put.headers['azure-asyncoperation']!);
      const p = await h.send('PUT', `${base}/encryptionProtector/current?${API}`, { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: keyName } });
      expect(p.status).toBe(202);
    }

    // Assess
    const ms = performance.now() - start;
    expect(h.router.stats.requests).toBe(4000);
    expect(ms).toBeLessThan(5000);
  });
});
