/** Every kind of work item through the queue message and back, and what parseWorkItem refuses (beside queueMessage.test.ts). */
import { describe, expect, it } from 'vitest';
import { messageIdFor, parseWorkItem, toQueueMessage, workItemKey } from '../../src/app/queueMessage.js';
import { MAX_SESSION_ID_LENGTH, sessionIdFor } from '../../src/app/sessionIdFor.js';
import type { DiscoverWorkItem, ReconcileWorkItem, SyncAgentWorkItem } from '../../src/domain/workItem.js';

const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V = 'a'.repeat(32);
const SERVER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s1';
const SCOPE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg';
const BASE = { attempt: 3, firstSeen: '2026-01-01T00:00:00Z', correlationId: 'evt' };
const RECONCILE: ReconcileWorkItem = { kind: 'reconcile', key: KEY, target: SERVER, ...BASE };
const DISCOVER: DiscoverWorkItem = { kind: 'discover', key: KEY, target: SCOPE, versionHint: V, runId: 'run-1', ...BASE };
const SYNC: SyncAgentWorkItem = { kind: 'syncAgentKey', target: `${SERVER}/syncAgents/agent-1`, vaultUrl: 'https://sync.vault.azure.net', secretName: 'syncagent-s1-agent-1', rotationId: 'rot-1', ...BASE };

describe('Function: toQueueMessage and parseWorkItem', () => {
  it.each([
    ['a reconcile item without hint or run', RECONCILE],
    ['a discovery item with hint and run', DISCOVER],
    ['a sync agent item', SYNC],
  ])('round-trips %s', (_label, item) => {
    expect(parseWorkItem(toQueueMessage(item).body)).toEqual({ ok: true, item });
    expect(parseWorkItem(JSON.stringify(toQueueMessage(item).body))).toEqual({ ok: true, item });
  });

  it('writes the envelope: ids, subject, content type, correlation and filterable properties', () => {
    expect(toQueueMessage(RECONCILE)).toEqual({
      messageId: messageIdFor(RECONCILE),
      sessionId: SERVER.toLowerCase(),
      subject: 'reconcile',
      contentType: 'application/json',
      correlationId: 'evt',
      body: RECONCILE,
      applicationProperties: { kind: 'reconcile', target: SERVER, attempt: 3, key: KEY },
    });
    expect(toQueueMessage(SYNC).applicationProperties).toEqual({ kind: 'syncAgentKey', target: SYNC.target, attempt: 3, secretName: 'syncagent-s1-agent-1' });
  });

  it('splits a versioned key into the key and a hint, and an explicit hint wins', () => {
    expect(parseWorkItem({ ...RECONCILE, key: `${KEY}/${V}/` })).toEqual({ ok: true, item: { ...RECONCILE, versionHint: V, claims: { keyVersion: V } } });
    expect(parseWorkItem({ ...DISCOVER, key: `${KEY}/${'b'.repeat(32)}` })).toEqual({ ok: true, item: DISCOVER });
    expect(parseWorkItem({ ...RECONCILE, key: `${KEY}//` })).toEqual({ ok: true, item: RECONCILE });
  });

  it('drops an empty run id', () => {
    expect(parseWorkItem({ ...RECONCILE, runId: '' })).toEqual({ ok: true, item: RECONCILE });
  });

  it('takes fields of up to 2,048 characters and no longer', () => {
    const long = `${SERVER}/${'x'.repeat(2048 - SERVER.length - 1)}`;

    expect(parseWorkItem({ ...RECONCILE, target: long })).toMatchObject({ ok: true });
    expect(parseWorkItem({ ...RECONCILE, target: `${long}x` })).toMatchObject({ ok: false });
  });

  it.each([
    ['a missing target', { ...RECONCILE, target: undefined }, 'target, correlationId and firstSeen must be non-empty strings'],
    ['an empty correlation id', { ...RECONCILE, correlationId: '' }, 'target, correlationId and firstSeen must be non-empty strings'],
    ['a missing first-seen time', { ...RECONCILE, firstSeen: undefined }, 'target, correlationId and firstSeen must be non-empty strings'],
    ['an attempt that is a string', { ...RECONCILE, attempt: '2' }, 'attempt must be a positive integer'],
    ['a fractional attempt', { ...RECONCILE, attempt: 1.5 }, 'attempt must be a positive integer'],
    ['a reconcile item without key', { ...RECONCILE, key: undefined }, 'reconcile item needs key'],
    ['a discovery item without key', { ...DISCOVER, key: '' }, 'discover item needs key'],
    ['a legacy item without keyId', { ...RECONCILE, kind: 'serverKey' }, 'serverKey item needs keyId'],
    ['a legacy version that is no version', { ...RECONCILE, kind: 'serverKey', keyId: KEY, version: 'zz' }, 'the version must be 32 hexadecimal characters'],
    ['a switchProtector that is no boolean', { ...RECONCILE, switchProtector: 'yes' }, 'switchProtector must be a boolean'],
    ['a geoPrimary that is no string', { ...RECONCILE, geoPrimary: 1 }, 'geoPrimary must be a string'],
    ['a sync agent item without vault', { ...SYNC, vaultUrl: undefined }, 'syncAgentKey item needs vaultUrl, secretName and rotationId'],
    ['a sync agent item without secret name', { ...SYNC, secretName: '' }, 'syncAgentKey item needs vaultUrl, secretName and rotationId'],
    ['a sync agent item without rotation id', { ...SYNC, rotationId: undefined }, 'syncAgentKey item needs vaultUrl, secretName and rotationId'],
    ['a kind that is no string', { ...RECONCILE, kind: 7 }, 'unknown kind number'],
    ['null', null, 'body is not a JSON object'],
    ['a string that is no JSON', '{not json', 'body is not a JSON object'],
  ])('refuses %s, saying why', (_label, body, reason) => {
    expect(parseWorkItem(body)).toEqual({ ok: false, reason });
  });

  it('takes a body of exactly 64 KB', () => {
    const body = JSON.stringify({ ...RECONCILE, pad: '' });
    const padded = JSON.stringify({ ...RECONCILE, pad: 'x'.repeat(64 * 1024 - body.length) });

    expect(padded).toHaveLength(64 * 1024);
    expect(parseWorkItem(padded)).toMatchObject({ ok: true });
  });
});

describe('Function: workItemKey', () => {
  it.each([
    ['a reconcile item', RECONCILE, `reconcile|${SERVER.toLowerCase()}|${KEY}|`],
    ['a discovery item', { ...DISCOVER, key: KEY.toUpperCase(), versionHint: V.toUpperCase() }, `discover|${SCOPE.toLowerCase()}|${KEY.toLowerCase()}|${V}|run:run-1`],
    ['a sync agent item', { ...SYNC, target: SYNC.target.toUpperCase() }, `syncAgentKey|${SYNC.target.toLowerCase()}|rot-1`],
  ] as const)('names %s without its attempt', (_label, item, key) => {
    expect(workItemKey(item)).toBe(key);
  });

  it('makes a 40-hex message id of the key and the attempt', () => {
    expect(messageIdFor(RECONCILE)).toMatch(/^[0-9a-f]{40}$/);
    expect(messageIdFor(SYNC)).not.toBe(messageIdFor({ ...SYNC, rotationId: 'rot-2' }));
  });
});

describe('Function: sessionIdFor', () => {
  it('is the lowercased target while it fits in 128 characters', () => {
    const fits = `/${'A'.repeat(MAX_SESSION_ID_LENGTH - 1)}`;

    expect(sessionIdFor({ target: fits })).toBe(fits.toLowerCase());
  });

  it('is a hash of the whole id and its last 80 characters beyond that', () => {
    // Prepare
    const long = `/${'A'.repeat(MAX_SESSION_ID_LENGTH)}-Tail`;

    // Act
    const id = sessionIdFor({ target: long });

    // Assess
    expect(id).toMatch(/^[0-9a-f]{40}~/);
    expect(id).toHaveLength(40 + 1 + 80);
    expect(id.endsWith(long.toLowerCase().slice(-80))).toBe(true);
    expect(sessionIdFor({ target: long.toLowerCase() })).toBe(id);
    expect(sessionIdFor({ target: `/B${long.slice(2)}` })).not.toBe(id);
  });
});
