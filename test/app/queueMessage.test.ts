import { describe, expect, it } from 'vitest';
import { messageIdFor, parseWorkItem, toQueueMessage } from '../../src/app/queueMessage.js';
import type { ReconcileWorkItem } from '../../src/domain/workItem.js';

const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V = 'a'.repeat(32);
const SERVER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s1';
const item: ReconcileWorkItem = { kind: 'reconcile', key: KEY, target: SERVER, versionHint: V, attempt: 1, firstSeen: '2026-01-01T00:00:00Z', correlationId: 'evt' };

function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i += 1) v = { v };
  return v;
}

describe('Function: parseWorkItem', () => {
  it('reads back what toQueueMessage writes, as an object or a JSON string', () => {
    const body = toQueueMessage(item).body;

    expect(parseWorkItem(body)).toEqual({ ok: true, item });
    expect(parseWorkItem(JSON.stringify(body))).toEqual({ ok: true, item });
  });

  it('reads an item of the previous release as a reconcile item whose decisions are claims', () => {
    const legacy = { kind: 'serverKey', target: SERVER, keyId: `${KEY}/${V}`, version: V, switchProtector: true, geoPrimary: '/x', attempt: 2, firstSeen: 'f', correlationId: 'c' };

    expect(parseWorkItem(legacy)).toEqual({
      ok: true,
      item: { kind: 'reconcile', key: KEY, target: SERVER, versionHint: V, attempt: 2, firstSeen: 'f', correlationId: 'c', claims: { switchProtector: true, geoPrimary: '/x', keyVersion: V } },
    });
  });

  const rejected: [string, unknown, RegExp][] = [
    ['a 10,000-level nested body', nested(10_000), /target, correlationId and firstSeen/],
    ['a 10,000-level nested JSON string', `${'{"v":'.repeat(10_000)}1${'}'.repeat(10_000)}`, /target, correlationId and firstSeen|not a JSON object/],
    ['deeply nested fields', { ...item, kind: nested(10_000), target: nested(10_000) }, /target, correlationId and firstSeen/],
    ['an unknown kind, quoted short', { ...item, kind: 'k'.repeat(5_000) }, /^unknown kind "k{40}"$/],
    ['an array', [item], /not a JSON object/],
    ['a version that is not 32 hex characters', { ...item, versionHint: 'abc' }, /32 hexadecimal/],
    ['a zero attempt', { ...item, attempt: 0 }, /attempt/],
    ['a body over 64 KB', JSON.stringify({ ...item, pad: 'x'.repeat(70_000) }), /not a JSON object/],
  ];
  it.each(rejected)('rejects %s with a reason instead of throwing', (_name, body, reason) => {
    const parsed = parseWorkItem(body);

    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('Function: messageIdFor', () => {
  it('is the same for a duplicate delivery of one event and differs per attempt, hint and manual run', () => {
    const id = messageIdFor(item);

    expect(messageIdFor({ ...item, correlationId: 'a copy of the event' })).toBe(id);
    expect(messageIdFor({ ...item, target: item.target.toUpperCase() })).toBe(id);
    expect(messageIdFor({ ...item, attempt: 2 })).not.toBe(id);
    expect(messageIdFor({ ...item, versionHint: 'b'.repeat(32) })).not.toBe(id);
    expect(messageIdFor({ ...item, runId: 'run-1' })).not.toBe(messageIdFor({ ...item, runId: 'run-2' }));
  });
});
