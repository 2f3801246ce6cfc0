import { describe, expect, it } from 'vitest';
import { processServerKeyItem, rotateServerKeys, type RotateDeps } from '../../src/app/rotateServerKeys.js';
import type { KeyTarget, RetryPolicy, ServerTarget } from '../../src/config/appConfig.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId, type KeyId } from '../../src/domain/keyId.js';
import type { KeyNewVersionCreated } from '../../src/domain/keyVaultEvent.js';
import type { ServerKeyWorkItem } from '../../src/domain/workItem.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSqlServerKeys } from '../support/fakes/fakeSqlServerKeys.js';
import { FakeWorkQueue } from '../support/fakes/fakeWorkQueue.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sql/providers/Microsoft.Sql/servers';
const PRIMARY = `${SUB}/sql-primary`;
const SECONDARY = `${SUB}/sql-secondary`;
const PLAIN = `${SUB}/sql-plain`;
const AUTO = `${SUB}/sql-auto`;
const VAULT = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V1 = '1'.repeat(32);
const V2 = '2'.repeat(32);
const V3 = '3'.repeat(32);
const POLICY: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAttempts: 4, orderDelayMs: 30_000, orderMaxAttempts: 5 };

function keyVersion(version: string, createdOn: string, overrides: Record<string, unknown> = {}) {
  return {
    id: `${VAULT}/${version}`,
    version,
    enabled: true,
    keyType: 'RSA',
    keySize: 2048,
    createdOn: new Date(createdOn),
    ...overrides,
  };
}

function protectorOn(version: string, autoRotationEnabled = false) {
  return {
    serverKeyName: `contoso-tde_tde-key_${version}`,
    serverKeyType: 'AzureKeyVault' as const,
    uri: `${VAULT}/${version}`,
    autoRotationEnabled,
  };
}

function eventFor(version: string, eventId = 'evt-1'): KeyNewVersionCreated {
  return { eventId, key: parseKeyId(`${VAULT}/${version}`) as KeyId & { version: string } };
}

interface Setup {
  servers?: ServerTarget[];
  discovery?: KeyTarget['discovery'];
  inlineLimit?: number;
  directory?: string[];
}

function setup(opts: Setup = {}) {
  const clock = new FakeClock('2026-06-01T00:00:00Z');
  const keys = new FakeKeyReader()
    .add(keyVersion(V1, '2026-01-01T00:00:00Z'))
    .add(keyVersion(V2, '2026-03-01T00:00:00Z'))
    .add(keyVersion(V3, '2026-05-01T00:00:00Z'));
  const sql = new FakeSqlServerKeys();
  const queue = new FakeWorkQueue();
  const failures = new FakeFailureSink();
  const logger = new CaptureLogger();
  const servers: ServerTarget[] = opts.servers ?? [
    { id: PRIMARY, switchProtector: true },
    { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY },
    { id: PLAIN, switchProtector: true },
    { id: AUTO, switchProtector: true },
  ];
  const target: KeyTarget = {
    key: parseKeyId(VAULT),
    servers,
    ...(opts.discovery ? { discovery: opts.discovery } : {}),
  };
  const deps: RotateDeps = {
    keys,
    sql,
    servers: new FakeServerDirectory(opts.directory ?? []),
    config: {
      keys: new Map([[VAULT.toLowerCase(), target]]),
      fanOut: { inlineLimit: opts.inlineLimit ?? 10, concurrency: 4 },
    },
    queue,
    failures,
    clock,
    random: () => 0.5,
    policy: POLICY,
    logger,
  };
  return { deps, keys, sql, queue, failures, logger, clock };
}

function standardEstate(sql: FakeSqlServerKeys): void {
  const k1 = { [`contoso-tde_tde-key_${V1}`]: `${VAULT}/${V1}` };
  sql
    .addServer(PRIMARY, protectorOn(V1), k1)
    .addServer(SECONDARY, protectorOn(V1), k1)
    .addServer(PLAIN, protectorOn(V1), k1)
    .addServer(AUTO, protectorOn(V1, true), k1);
}

describe('rotateServerKeys', () => {
  it('adds the new server key everywhere and switches the opted-in protectors', async () => {
    const { deps, sql } = setup();
    standardEstate(sql);

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(result.kind).toBe('processed');
    const name = `contoso-tde_tde-key_${V2}`;
    for (const s of [PRIMARY, SECONDARY, PLAIN, AUTO]) expect(sql.keys(s)).toContain(name);
    expect(sql.protector(PRIMARY).serverKeyName).toBe(name);
    expect(sql.protector(SECONDARY).serverKeyName).toBe(name);
    expect(sql.protector(PLAIN).serverKeyName).toBe(name);
  });

  it('skips the protector when auto-rotation is on, and says so', async () => {
    const { deps, sql } = setup();
    standardEstate(sql);

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(sql.protector(AUTO).serverKeyName).toBe(`contoso-tde_tde-key_${V1}`);
    expect(sql.writes.filter((w) => w.server === AUTO).map((w) => w.op)).toEqual(['upsertKey']);
    const auto = result.kind === 'processed' ? result.outcomes.find((o) => o.target === AUTO) : undefined;
    expect(auto).toMatchObject({ kind: 'rotated' });
    expect(auto?.kind === 'rotated' && auto.detail).toMatch(/auto-rotation/);
  });

  it('never switches the protector back to an older version delivered late', async () => {
    const { deps, sql } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    sql.addServer(PLAIN, protectorOn(V3), { [`contoso-tde_tde-key_${V3}`]: `${VAULT}/${V3}` });

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(sql.protector(PLAIN).serverKeyName).toBe(`contoso-tde_tde-key_${V3}`);
    expect(sql.writes.map((w) => w.op)).toEqual(['upsertKey']);
    expect(result.kind === 'processed' && result.outcomes[0]).toMatchObject({ kind: 'skipped' });
  });

  it('treats a duplicate event as done: one protector write, then skipped', async () => {
    const { deps, sql } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    sql.addServer(PLAIN, protectorOn(V1), {});

    const first = await rotateServerKeys(deps, eventFor(V2));
    const second = await rotateServerKeys(deps, eventFor(V2));

    expect(first.kind === 'processed' && first.outcomes[0]?.kind).toBe('rotated');
    expect(second.kind === 'processed' && second.outcomes[0]).toMatchObject({
      kind: 'skipped',
      reason: expect.stringMatching(/already/) as unknown,
    });
    expect(sql.writes.filter((w) => w.op === 'setProtector')).toHaveLength(1);
  });

  it('adds the key to the geo secondary before the primary and switches the primary last', async () => {
    const { deps, sql } = setup({
      servers: [
        { id: PRIMARY, switchProtector: true },
        { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY },
      ],
    });
    sql.addServer(PRIMARY, protectorOn(V1), {}).addServer(SECONDARY, protectorOn(V1), {});

    await rotateServerKeys(deps, eventFor(V2));

    const order = sql.writes.map((w) => `${w.op}:${w.server === PRIMARY ? 'primary' : 'secondary'}`);
    expect(order.indexOf('upsertKey:secondary')).toBeLessThan(order.indexOf('upsertKey:primary'));
    expect(order.at(-1)).toBe('setProtector:primary');
  });

  it('defers a primary whose geo secondary lacks the key, on the ordering schedule', async () => {
    const { deps, sql, queue, clock } = setup();
    sql.addServer(PRIMARY, protectorOn(V1), {}).addServer(SECONDARY, protectorOn(V1), {});
    const item: ServerKeyWorkItem = {
      kind: 'serverKey',
      target: PRIMARY,
      keyId: `${VAULT}/${V2}`,
      version: V2,
      switchProtector: true,
      geoSecondaries: [SECONDARY],
      attempt: 1,
      firstSeen: clock.now().toISOString(),
      correlationId: 'evt-geo',
    };

    const outcome = await processServerKeyItem(deps, item);

    expect(outcome).toMatchObject({ kind: 'deferred', code: 'WaitingForGeoSecondary' });
    expect(sql.writes).toEqual([]);
    const next = queue.scheduled[0];
    expect(next?.item).toMatchObject({ attempt: 2, correlationId: 'evt-geo', target: PRIMARY });
    expect(next?.at && next.at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(POLICY.orderDelayMs * 0.5);
  });

  it('refuses a disabled key version before any ARM write and dead-letters every server with the reason', async () => {
    const { deps, sql, keys, failures } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    sql.addServer(PLAIN, protectorOn(V1), {});
    keys.add(keyVersion(V2, '2026-03-01T00:00:00Z', { enabled: false }));

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(result).toMatchObject({ kind: 'refused', code: 'AzureKeyVaultKeyDisabled' });
    expect(sql.writes).toEqual([]);
    expect(failures.deadLetters.map((d) => d.reason)).toEqual(['AzureKeyVaultKeyDisabled']);
  });

  it('reschedules when ARM answers 429 with Retry-After, never sooner than it asks', async () => {
    const { deps, sql, queue, clock } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    sql.addServer(PLAIN, protectorOn(V1), {});
    sql.upsertFaults.failNext(
      PLAIN,
      new RotationError('TooManyRequests', 'retriable', 'throttled', { details: { statusCode: 429, retryAfterMs: 7_000 } }),
    );

    const result = await rotateServerKeys(deps, eventFor(V2, 'evt-429'));

    expect(result.kind === 'processed' && result.outcomes[0]).toMatchObject({ kind: 'deferred', code: 'TooManyRequests' });
    const retry = queue.scheduled[0];
    expect(retry?.item).toMatchObject({ attempt: 2, correlationId: 'evt-429' });
    expect(retry?.at && retry.at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(7_000);
  });

  it('dead-letters the last attempt with its reason', async () => {
    const { deps, sql, queue, failures, logger, clock } = setup();
    sql.addServer(PLAIN, protectorOn(V1), {});
    sql.upsertFaults.failAlways(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'busy', { details: { statusCode: 503 } }));
    const item: ServerKeyWorkItem = {
      kind: 'serverKey',
      target: PLAIN,
      keyId: `${VAULT}/${V2}`,
      version: V2,
      switchProtector: true,
      attempt: POLICY.maxAttempts,
      firstSeen: clock.now().toISOString(),
      correlationId: 'evt-last',
    };

    const outcome = await processServerKeyItem(deps, item);

    expect(outcome).toMatchObject({ kind: 'failed', code: 'ServiceUnavailable' });
    expect(queue.scheduled).toEqual([]);
    expect(failures.deadLetters).toHaveLength(1);
    expect(failures.deadLetters[0]).toMatchObject({ reason: 'MaxAttemptsExceeded' });
    expect(failures.deadLetters[0]?.description).toMatch(/ServiceUnavailable/);
    expect(logger.at('error').map((l) => l.properties?.['server'])).toEqual([PLAIN]);
  });

  it('dead-letters a terminal ARM error at once', async () => {
    const { deps, sql, queue, failures } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    sql.addServer(PLAIN, protectorOn(V1), {});
    sql.upsertFaults.failNext(PLAIN, new RotationError('InvalidKeyName', 'terminal', 'bad name', { details: { statusCode: 400 } }));

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(result.kind === 'processed' && result.outcomes[0]).toMatchObject({ kind: 'failed', code: 'InvalidKeyName' });
    expect(queue.scheduled).toEqual([]);
    expect(failures.deadLetters[0]).toMatchObject({ reason: 'InvalidKeyName' });
  });

  it('sends a large fan-out to the work queue instead of running it inline', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ id: `${SUB}/sql-${i}`, switchProtector: true }));
    const { deps, sql, queue } = setup({ servers: many, inlineLimit: 10 });

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(result).toMatchObject({ kind: 'processed', mode: 'queued' });
    expect(queue.scheduled).toHaveLength(12);
    expect(new Set(queue.messages().map((m) => m.messageId)).size).toBe(12);
    expect(sql.writes).toEqual([]);
  });

  it('finds servers in discovery scopes whose protector is the same vault key, whatever its version', async () => {
    const other = `${SUB}/sql-other-key`;
    const service = `${SUB}/sql-service-managed`;
    const { deps, sql } = setup({
      servers: [],
      discovery: { scopes: ['/subscriptions/00000000-0000-0000-0000-000000000001'], switchProtector: true },
      directory: [PLAIN, other, service],
    });
    sql
      .addServer(PLAIN, protectorOn(V1), {})
      .addServer(other, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {})
      .addServer(service, { serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged', autoRotationEnabled: false });

    const result = await rotateServerKeys(deps, eventFor(V2));

    expect(result.kind === 'processed' && result.outcomes.map((o) => o.target)).toEqual([PLAIN]);
    expect(sql.protector(PLAIN).serverKeyName).toBe(`contoso-tde_tde-key_${V2}`);
  });

  it('ignores events for keys that are not configured', async () => {
    const { deps, sql } = setup();
    const event = {
      eventId: 'evt-x',
      key: parseKeyId(`https://elsewhere.vault.azure.net/keys/k/${V2}`) as KeyId & { version: string },
    };

    const result = await rotateServerKeys(deps, event);

    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/not in ROTATION_CONFIG/) as unknown });
    expect(sql.writes).toEqual([]);
  });
});

describe('rotateServerKeys: versions created within the same second', () => {
  it('switches to the tied version only when Key Vault names it the latest', async () => {
    const { deps, sql, keys } = setup({ servers: [{ id: PLAIN, switchProtector: true }] });
    const V4 = '4'.repeat(32);
    const V5 = '5'.repeat(32);
    sql.addServer(PLAIN, protectorOn(V4), {});
    keys.add(keyVersion(V4, '2026-05-20T00:00:00Z')).add(keyVersion(V5, '2026-05-20T00:00:00Z'));
    // FakeKeyReader's latest is the newest by createdOn, then the one added last: V5.

    const toV5 = await rotateServerKeys(deps, eventFor(V5, 'evt-v5'));
    const backToV4 = await rotateServerKeys(deps, eventFor(V4, 'evt-v4'));

    expect(toV5.kind === 'processed' && toV5.outcomes[0]?.kind).toBe('rotated');
    expect(backToV4.kind === 'processed' && backToV4.outcomes[0]?.kind).toBe('skipped');
    expect(sql.protector(PLAIN).serverKeyName).toBe(`contoso-tde_tde-key_${V5}`);
  });
});
