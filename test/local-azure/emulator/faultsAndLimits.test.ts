import { describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import { SqlManagementClient } from '@azure/arm-sql';
import { KeyClient } from '@azure/keyvault-keys';
import { useTestEmulator } from '../../support/emulatorFixture.js';
import { TEST_RESOURCE_GROUP as RG, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT_URL } from '../../support/emulator.js';
import { API, ARM, harness } from './routerHarness.js';

const SERVER = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql/servers`;
const GENERATE = `${SERVER}/sql-primary/syncAgents/agent-1/generateKey?${API}`;

describe('Emulator: faults through the SDK', () => {
  const emulator = useTestEmulator();
  const noRetries = { retryOptions: { maxRetries: 0 } };

  it('surfaces an injected 429 with its Retry-After when SDK retries are off', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'throttle', route: 'arm.servers.get', times: 1, retryAfterSeconds: 7 });
    const sql = new SqlManagementClient(new DefaultAzureCredential(), TEST_SUBSCRIPTION_ID, noRetries);

    // Act
    const err = (await sql.servers.get(RG, 'sql-primary').catch((e: unknown) => e)) as { statusCode?: number; response?: { headers: { get(n: string): string | undefined } } };

    // Assess
    expect(err.statusCode).toBe(429);
    expect(err.response?.headers.get('retry-after')).toBe('7');
    expect((await sql.servers.get(RG, 'sql-primary')).name).toBe('sql-primary');
  });

  it('lets the SDK retry past a one-off 429 by default', async () => {
    emulator.faults.inject({ kind: 'throttle', route: 'arm.servers.get', times: 1, retryAfterSeconds: 0 });
    const sql = new SqlManagementClient(new DefaultAzureCredential(), TEST_SUBSCRIPTION_ID);
    const before = emulator.stats.count('arm.servers.get');

    expect((await sql.servers.get(RG, 'sql-plain')).name).toBe('sql-plain');
    expect(emulator.stats.count('arm.servers.get') - before).toBe(2);
  });

  it('surfaces a connection reset as a network error', async () => {
    // Prepare
    emulator.faults.inject({ kind: 'connectionReset', route: 'kv.keys.get' });
    const keys = new KeyClient(TEST_TDE_VAULT_URL, new DefaultAzureCredential(), noRetries);

    // Act
    const err = (await keys.getKey('tde-key').catch((e: unknown) => e)) as { name?: string; code?: string; statusCode?: number };
    emulator.faults.clear();

    // Assess
    expect(err.statusCode).toBeUndefined();
    expect(err.code).toMatch(/ECONNRESET|REQUEST_SEND_ERROR|socket hang up/i);
  });
});

describe('Emulator: faults and limits in the router', () => {
  it.each([
    ['serviceUnavailable', 503, 'ServiceUnavailable'],
    ['operationTimedOut', 500, 'OperationTimedOut'],
    ['operationInterrupted', 409, 'OperationInterrupted'],
    ['throttle', 429, 'TooManyRequests'],
  ] as const)('answers an injected %s fault with %i %s', async (kind, status, code) => {
    // Prepare
    const h = harness();
    h.router.faults.inject({ kind, method: 'POST', url: /generateKey/, times: 1 });

    // Act
    const faulted = await h.send('POST', GENERATE);
    const next = await h.send('POST', GENERATE);

    // Assess
    expect([faulted.status, faulted.body.error.code]).toEqual([status, code]);
    expect(next.status).toBe(200);
  });

  it('keeps an always-on fault until cleared', async () => {
    const h = harness();
    h.router.faults.inject({ kind: 'serviceUnavailable', route: 'arm.syncAgents.generateKey' });

    expect((await h.send('POST', GENERATE)).status).toBe(503);
    expect((await h.send('POST', GENERATE)).status).toBe(503);
    h.router.faults.clear();
    expect((await h.send('POST', GENERATE)).status).toBe(200);
  });

  it('drops the connection for a connectionReset fault', async () => {
    const h = harness();
    h.router.faults.inject({ kind: 'connectionReset', route: 'arm.syncAgents.generateKey', times: 1 });

    expect((await h.send('POST', GENERATE)).reset).toBe(true);
  });

  it('delays answers by the configured latency', async () => {
    // Prepare
    const h = harness({ latencyMs: 15 });
    const start = performance.now();

    // Act
    await h.send('GET', `${SERVER}/sql-primary?${API}`);

    // Assess
    expect(performance.now() - start).toBeGreaterThanOrEqual(14);
  });

  // Azure's buckets: 200 writes refilled at 10/s, 250 reads refilled at 25/s.
  it.each([
    ['write', 'POST', GENERATE, { capacity: 200, refillPerSecond: 10 }],
    ['read', 'GET', `${SERVER}/sql-primary?${API}`, { capacity: 250, refillPerSecond: 25 }],
  ] as const)(
    'answers the first %s past the bucket within a second with 429, Retry-After and none of the budget left',
    async (kind, method, url, bucket) => {
      // Prepare
      const h = harness(kind === 'write' ? { writeBucket: bucket } : { readBucket: bucket });
      const remaining = `x-ms-ratelimit-remaining-subscription-${kind}s`;

      // Act
      const answers = [];
      for (let i = 0; i <= bucket.capacity; i++) answers.push(await h.send(method, url));

      // Assess
      expect(answers[0]?.headers[remaining]).toBe(String(bucket.capacity - 1));
      expect(answers[bucket.capacity - 1]?.status).toBe(200);
      expect(answers[bucket.capacity - 1]?.headers[remaining]).toBe('0');
      const last = answers[bucket.capacity]!;
      expect(last.status).toBe(429);
      expect(last.body.error.code).toBe('SubscriptionRequestsThrottled');
      expect(last.body.error.message).toContain(`'${kind}'`);
      expect(Number(last.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(last.headers[remaining]).toBe('0');
      expect(h.router.stats.throttled).toBe(1);
      expect(kind === 'write' ? h.router.stats.writes : h.router.stats.reads).toBe(bucket.capacity + 1);
      expect([h.router.stats.throttledWrites, h.router.stats.throttledReads]).toEqual(kind === 'write' ? [1, 0] : [0, 1]);
    },
  );

  it('refills the write bucket as the clock advances', async () => {
    // Prepare
    const h = harness({ writeBucket: { capacity: 2, refillPerSecond: 10 } });
    await h.send('POST', GENERATE);
    await h.send('POST', GENERATE);
    expect((await h.send('POST', GENERATE)).status).toBe(429);

    // Act
    h.now.ms += 100;

    // Assess
    expect((await h.send('POST', GENERATE)).status).toBe(200);
  });

  it('does not count reads against the write bucket', async () => {
    const h = harness({ writeBucket: { capacity: 1, refillPerSecond: 1 } });
    for (let i = 0; i < 5; i++) expect((await h.send('GET', `${SERVER}/sql-primary?${API}`)).status).toBe(200);

    expect((await h.send('POST', GENERATE)).status).toBe(200);
  });

  it('counts requests per route', async () => {
    const h = harness();
    await h.send('GET', `${SERVER}/sql-primary?${API}`);
    await h.send('GET', `${SERVER}/sql-plain?${API}`);

    expect(h.router.stats.count('arm.servers.get')).toBe(2);
    expect(h.router.stats.requests).toBe(2);
    expect(h.router.stats.log.map((e) => e.status)).toEqual([200, 200]);
  });
});
