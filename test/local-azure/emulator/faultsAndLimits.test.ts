import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import { SqlManagementClient } from '@azure/arm-sql';
import { KeyClient } from '@azure/keyvault-keys';
import type { RunningEmulator } from '@sql-key-rotation/local-azure';
import { startTestEmulator, TEST_RESOURCE_GROUP as RG, TEST_SUBSCRIPTION_ID, TEST_TDE_VAULT_URL } from '../../support/emulator.js';
import { API, ARM, harness } from './routerHarness.js';

const SERVER = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql/servers`;
const GENERATE = `${SERVER}/sql-primary/syncAgents/agent-1/generateKey?${API}`;

describe('Emulator: faults through the SDK', () => {
  let emulator: RunningEmulator;
  const noRetries = { retryOptions: { maxRetries: 0 } };

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.stop();
  });

  it('surfaces an injected 429 with its Retry-After when SDK retries are off', async () => {
    emulator.faults.inject({ kind: 'throttle', route: 'arm.servers.get', times: 1, retryAfterSeconds: 7 });
    const sql = new SqlManagementClient(new DefaultAzureCredential(), TEST_SUBSCRIPTION_ID, noRetries);

    const err = (await sql.servers.get(RG, 'sql-primary').catch((e: unknown) => e)) as { statusCode?: number; response?: { headers: { get(n: string): string | undefined } } };

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
    emulator.faults.inject({ kind: 'connectionReset', route: 'kv.keys.get' });
    const keys = new KeyClient(TEST_TDE_VAULT_URL, new DefaultAzureCredential(), noRetries);

    const err = (await keys.getKey('tde-key').catch((e: unknown) => e)) as { name?: string; code?: string; statusCode?: number };
    emulator.faults.clear();

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
    const h = harness();
    h.router.faults.inject({ kind, method: 'POST', url: /generateKey/, times: 1 });

    const faulted = await h.send('POST', GENERATE);
    const next = await h.send('POST', GENERATE);

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
    const h = harness({ latencyMs: 15 });
    const start = performance.now();

    await h.send('GET', `${SERVER}/sql-primary?${API}`);

    expect(performance.now() - start).toBeGreaterThanOrEqual(14);
  });

  it('throttles the 201st write within a second with 429, Retry-After and remaining writes (Azure: 200, 10/s)', async () => {
    const h = harness({ writeBucket: { capacity: 200, refillPerSecond: 10 } });
    const answers = [];
    for (let i = 0; i < 201; i++) answers.push(await h.send('POST', GENERATE));

    expect(answers[0]?.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
    expect(answers[199]?.status).toBe(200);
    expect(answers[199]?.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
    const last = answers[200]!;
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('SubscriptionRequestsThrottled');
    expect(Number(last.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(last.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
    expect(h.router.stats.throttled).toBe(1);
    expect(h.router.stats.writes).toBe(201);
  });

  it('refills the write bucket as the clock advances', async () => {
    const h = harness({ writeBucket: { capacity: 2, refillPerSecond: 10 } });
    await h.send('POST', GENERATE);
    await h.send('POST', GENERATE);
    expect((await h.send('POST', GENERATE)).status).toBe(429);

    h.now.ms += 100;

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
