import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateServerKeys, type RotateDeps } from '../../src/app/rotateServerKeys.js';
import { parseKeyId, type KeyId } from '../../src/domain/keyId.js';
import { LocalDurableQueue } from '../../src/local/queue/localDurableQueue.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeFailureSink } from '../support/fakes/fakeFailureSink.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { FakeServerDirectory } from '../support/fakes/fakeServerDirectory.js';
import { FakeSqlServerKeys } from '../support/fakes/fakeSqlServerKeys.js';

const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V2 = '2'.repeat(32);
const SERVERS = Array.from(
  { length: 5 },
  (_, i) => `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-${i}`,
);

describe('Duplicate Event Grid deliveries', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('produce one work item per server on a queue with duplicate detection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dup-events-'));
    dirs.push(dir);
    const clock = new FakeClock('2026-06-01T00:00:00Z');
    const queue = await LocalDurableQueue.open({ dir, clock });
    const deps: RotateDeps = {
      keys: new FakeKeyReader().add({ id: `${KEY}/${V2}`, version: V2, enabled: true, keyType: 'RSA', keySize: 2048, createdOn: new Date('2026-05-01T00:00:00Z') }),
      sql: new FakeSqlServerKeys(),
      servers: new FakeServerDirectory(),
      config: {
        keys: new Map([[KEY.toLowerCase(), { key: parseKeyId(KEY), servers: SERVERS.map((id) => ({ id, switchProtector: true })) }]]),
        // Always queue, so the items meet the queue's duplicate detection.
        fanOut: { inlineLimit: 0, concurrency: 4 },
      },
      queue,
      failures: new FakeFailureSink(),
      clock,
      random: () => 0.5,
      policy: { baseMs: 1_000, capMs: 10_000, maxAttempts: 3, orderDelayMs: 1_000, orderMaxAttempts: 3 },
      logger: new CaptureLogger(),
    };
    const event = { eventId: 'evt-dup', key: parseKeyId(`${KEY}/${V2}`) as KeyId & { version: string } };

    await rotateServerKeys(deps, event);
    clock.advance(60_000);
    // Event Grid redelivers the same event (same id) and a second subscription delivers a copy (another id).
    await rotateServerKeys(deps, event);
    await rotateServerKeys(deps, { ...event, eventId: 'evt-dup-copy' });

    const targets = queue.peekAll().map((m) => (m.body as { target: string }).target);
    expect(targets.sort()).toEqual([...SERVERS].sort());
    await queue.close();
  });
});
