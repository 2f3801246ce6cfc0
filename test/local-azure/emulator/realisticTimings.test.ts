import { describe, expect, it } from 'vitest';
import { TDE_KEY_V2_NAME, TDE_KEY_V2_URI, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../../support/emulator.js';
import { API, ARM, harness } from './routerHarness.js';

const SERVERS = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers`;
const KEY_PUT = `${SERVERS}/sql-plain/keys/${TDE_KEY_V2_NAME}?${API}`;
const KEY_BODY = { properties: { serverKeyType: 'AzureKeyVault', uri: TDE_KEY_V2_URI } };
const PROTECTOR_PUT = `${SERVERS}/sql-plain/encryptionProtector/current?${API}`;
const PROTECTOR_BODY = { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: TDE_KEY_V2_NAME } };

describe('Emulator: realistic operation timings', () => {
  it('keeps a server-key operation InProgress until its duration has passed on the clock', async () => {
    // Prepare
    const h = harness({ lroInProgressPolls: 0, operationDurationMs: 10_000 });
    const put = await h.send('PUT', KEY_PUT, KEY_BODY);
    const status = async () => (await h.send('GET', put.headers['azure-asyncoperation']!)).body.status as string;

    // Act
    const early = await status();
    h.now.ms += 9_999;
    const justBefore = await status();
    h.now.ms += 1;
    const done = await status();

    // Assess
    expect([early, justBefore, done]).toEqual(['InProgress', 'InProgress', 'Succeeded']);
    expect((await h.send('GET', put.headers['location']!)).status).toBe(200);
  });

  it('gives each kind of operation its own duration', async () => {
    // Prepare
    const h = harness({ lroInProgressPolls: 0, operationDurationMs: { serverKey: 10_000, encryptionProtector: 2_000 } });
    const key = await h.send('PUT', KEY_PUT, KEY_BODY);
    h.now.ms += 10_000;
    const protector = await h.send('PUT', PROTECTOR_PUT, PROTECTOR_BODY);

    // Act
    h.now.ms += 2_000;

    // Assess
    expect((await h.send('GET', key.headers['azure-asyncoperation']!)).body.status).toBe('Succeeded');
    expect((await h.send('GET', protector.headers['azure-asyncoperation']!)).body.status).toBe('Succeeded');
  });

  it('sends no Retry-After on the 202 or the status polls when told to (the recorded server-key flow)', async () => {
    const h = harness({ lroInProgressPolls: 0, lroRetryAfterSeconds: false, operationDurationMs: 10_000 });
    const put = await h.send('PUT', KEY_PUT, KEY_BODY);
    const poll = await h.send('GET', put.headers['azure-asyncoperation']!);
    const result = await h.send('GET', put.headers['location']!);

    expect(put.status).toBe(202);
    expect(put.headers['retry-after']).toBeUndefined();
    expect(poll.body.status).toBe('InProgress');
    expect(poll.headers['retry-after']).toBeUndefined();
    expect(result.status).toBe(202);
    expect(result.headers['retry-after']).toBeUndefined();
  });

  it('sends Retry-After when configured', async () => {
    const h = harness({ lroInProgressPolls: 1, lroRetryAfterSeconds: 3 });
    const put = await h.send('PUT', KEY_PUT, KEY_BODY);
    const poll = await h.send('GET', put.headers['azure-asyncoperation']!);

    expect(put.headers['retry-after']).toBe('3');
    expect(poll.headers['retry-after']).toBe('3');
  });
});

describe('Emulator: ARM read bucket', () => {
  // Throttling past the bucket: with the write bucket's, in faultsAndLimits.test.ts.
  const GET = `${SERVERS}/sql-primary?${API}`;

  it('counts LRO polls as reads and refills with the clock', async () => {
    // Prepare
    const h = harness({ readBucket: { capacity: 1, refillPerSecond: 25 }, lroInProgressPolls: 0, operationDurationMs: 10_000 });
    const put = await h.send('PUT', KEY_PUT, KEY_BODY);

    // Act
    const first = await h.send('GET', put.headers['azure-asyncoperation']!);
    const second = await h.send('GET', put.headers['azure-asyncoperation']!);
    h.now.ms += 40;
    const third = await h.send('GET', put.headers['azure-asyncoperation']!);

    // Assess
    expect([first.status, second.status, third.status]).toEqual([200, 429, 200]);
    expect(put.headers['x-ms-ratelimit-remaining-subscription-reads']).toBeUndefined();
  });

  it('keeps reads and writes in separate buckets', async () => {
    // Prepare
    const h = harness({ readBucket: { capacity: 1, refillPerSecond: 1 }, writeBucket: { capacity: 1, refillPerSecond: 1 } });

    // Act
    expect((await h.send('GET', GET)).status).toBe(200);
    const put = await h.send('PUT', KEY_PUT, KEY_BODY);

    // Assess
    expect(put.status).toBe(202);
    expect(put.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
    expect((await h.send('GET', GET)).status).toBe(429);
    expect(h.router.stats.throttledReads).toBe(1);
  });
});
