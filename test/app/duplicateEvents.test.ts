import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptKeyEvent, type AcceptDeps } from '../../src/app/acceptKeyEvent.js';
import { parseKeyId, type KeyId } from '../../src/domain/keyId.js';
import { LocalDurableQueue } from '../../src/local/queue/localDurableQueue.js';
import { FakeClock } from '../support/fakes/fakeClock.js';

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

  it('produce one reconcile item per server on a queue with duplicate detection, one session per server', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dup-events-'));
    dirs.push(dir);
    const clock = new FakeClock('2026-06-01T00:00:00Z');
    const queue = await LocalDurableQueue.open({ dir, clock });
    const deps: AcceptDeps = {
      config: {
        keys: new Map([[KEY.toLowerCase(), { key: parseKeyId(KEY), servers: SERVERS.map((id) => ({ id, switchProtector: true })) }]]),
      },
      queue,
      clock,
    };
    const event = { eventId: 'evt-dup', key: parseKeyId(`${KEY}/${V2}`) as KeyId & { version: string } };

    // Act
    await acceptKeyEvent(deps, event);
    clock.advance(60_000);
    // Event Grid redelivers the same event (same id) and a second subscription delivers a copy (another id).
    await acceptKeyEvent(deps, event);
    await acceptKeyEvent(deps, { ...event, eventId: 'evt-dup-copy' });

    // Assess
    const targets = queue.peekAll().map((m) => (m.body as { target: string }).target);
    expect(targets.sort()).toEqual([...SERVERS].sort());
    expect(new Set(queue.peekAll().map((m) => m.sessionId)).size).toBe(SERVERS.length);
    await queue.close();
  });
});
