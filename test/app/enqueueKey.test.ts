import { describe, expect, it } from 'vitest';
import { acceptKeyEvent, enqueueKey } from '../../src/app/acceptKeyEvent.js';
import { processWorkItem, type WorkItemHandlers } from '../../src/app/processWorkItem.js';
import type { KeyNewVersionCreated } from '../../src/domain/parseKeyVaultEvent.js';
import type { WorkItem } from '../../src/domain/workItem.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { KEY, PLAIN, PRIMARY, SCOPE, SECONDARY, V2, reconcileFixture } from '../support/reconcileFixture.js';

describe('Function: enqueueKey', () => {
  it('enqueues a reconcile item per configured target (geo secondaries first) and a discovery item per scope', async () => {
    // Prepare
    const f = reconcileFixture({
      servers: [{ id: PRIMARY, switchProtector: true }, { id: PLAIN, switchProtector: false }, { id: SECONDARY, switchProtector: true, geoPrimary: PRIMARY }],
      discovery: { scopes: [SCOPE], switchProtector: false },
    });

    // Act
    const result = await enqueueKey(f.deps, { key: KEY.toUpperCase().replace('HTTPS://', 'https://'), versionHint: V2, correlationId: 'evt-1', runId: 'run-7' });

    // Assess
    expect(result).toEqual({ kind: 'accepted', targets: 3, scopes: 1 });
    const common = { key: KEY, versionHint: V2, runId: 'run-7', attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-1' };
    expect(f.queue.scheduled.map((s) => s.item)).toEqual([
      { kind: 'reconcile', target: SECONDARY, ...common },
      { kind: 'reconcile', target: PRIMARY, ...common },
      { kind: 'reconcile', target: PLAIN, ...common },
      { kind: 'discover', target: SCOPE, ...common },
    ]);
  });

  it('leaves out the hint and the run when the trigger has none', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });

    await enqueueKey(f.deps, { key: KEY, correlationId: 'evt-2' });

    expect(f.queue.scheduled.map((s) => s.item)).toEqual([
      { kind: 'reconcile', target: PLAIN, key: KEY, attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-2' },
    ]);
  });

  it('ignores a key that is not configured, saying so, and enqueues nothing', async () => {
    const f = reconcileFixture();

    const result = await enqueueKey(f.deps, { key: 'https://evil-vault.vault.azure.net/keys/tde-key', correlationId: 'evt-3' });

    expect(result).toEqual({ kind: 'ignored', reason: 'key https://evil-vault.vault.azure.net/keys/tde-key is not in ROTATION_CONFIG' });
    expect(f.queue.scheduled).toEqual([]);
  });

  it('ignores a configured key without targets or scopes', async () => {
    const f = reconcileFixture({ servers: [] });

    const result = await enqueueKey(f.deps, { key: KEY, correlationId: 'evt-4' });

    expect(result).toEqual({ kind: 'ignored', reason: `no server or discovery scope is configured for ${KEY}` });
    expect(f.queue.scheduled).toEqual([]);
  });
});

describe('Function: acceptKeyEvent', () => {
  it('takes the versionless key, the version as a hint and the event id as the correlation id', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });

    const result = await acceptKeyEvent(f.deps, { eventId: 'evt-42', eventTime: '2026-06-01T00:00:00Z', key: parseKeyId(`${KEY}/${V2}`) as KeyNewVersionCreated['key'] });

    expect(result).toEqual({ kind: 'accepted', targets: 1, scopes: 0 });
    expect(f.queue.scheduled.map((s) => s.item)).toEqual([
      { kind: 'reconcile', target: PLAIN, key: KEY, versionHint: V2, attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-42' },
    ]);
  });

  it('sends no hint for a versionless key id', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });

    // The parser gives only versioned ids; the use case does not rely on it.
    await acceptKeyEvent(f.deps, { eventId: 'evt-43', eventTime: '2026-06-01T00:00:00Z', key: parseKeyId(KEY) as KeyNewVersionCreated['key'] });

    expect(f.queue.scheduled[0]?.item).not.toHaveProperty('versionHint');
  });
});

describe('Function: processWorkItem', () => {
  it.each([
    ['reconcile', { kind: 'reconcile', key: KEY, target: PLAIN }],
    ['discover', { kind: 'discover', key: KEY, target: SCOPE }],
    ['syncAgentKey', { kind: 'syncAgentKey', target: PLAIN, vaultUrl: 'https://v.vault.azure.net', secretName: 's', rotationId: 'r' }],
  ] as const)('hands a %s item to its handler only', async (kind, fields) => {
    const seen: string[] = [];
    const handler = (name: string) => (item: WorkItem) => {
      seen.push(`${name}:${item.target}`);
      return Promise.resolve({ kind: 'skipped' as const, target: item.target, reason: name });
    };
    const handlers: WorkItemHandlers = { reconcile: handler('reconcile'), discover: handler('discover'), syncAgentKey: handler('syncAgentKey') };
    const item = { ...fields, attempt: 1, firstSeen: '2026-06-01T00:00:00Z', correlationId: 'c' } as WorkItem;

    const outcome = await processWorkItem(handlers, item);

    expect(seen).toEqual([`${kind}:${item.target}`]);
    expect(outcome).toEqual({ kind: 'skipped', target: item.target, reason: kind });
  });
});
