/**
 * How a work item travels on the backoff queue (Service Bus, or the local durable queue): a JSON body holding
 * identifiers only; a deterministic messageId per (item, attempt) so that Service Bus duplicate detection absorbs
 * duplicate deliveries of one event; a sessionId per target so that one worker at a time handles a target, on
 * every instance; a subject and application properties for filtering.
 */
import { createHash } from 'node:crypto';
import type { DiscoverWorkItem, ReconcileWorkItem, SyncAgentWorkItem, WorkItem, WorkItemClaims } from '../domain/workItem.js';
import { sessionIdFor } from './sessionIdFor.js';

export interface QueueMessage {
  readonly messageId: string;
  /** One session per target: Service Bus hands a session to one receiver at a time. */
  readonly sessionId: string;
  readonly subject: string;
  readonly contentType: 'application/json';
  readonly correlationId: string;
  readonly body: WorkItem;
  readonly applicationProperties: Readonly<Record<string, string | number>>;
}

/** Identity of the work (without the attempt): the same for every attempt of one item. */
export function workItemKey(item: WorkItem): string {
  const run = item.runId === undefined ? '' : `|run:${item.runId}`;
  switch (item.kind) {
    case 'reconcile':
    case 'discover':
      return `${item.kind}|${item.target.toLowerCase()}|${item.key.toLowerCase()}|${item.versionHint?.toLowerCase() ?? ''}${run}`;
    case 'syncAgentKey':
      return `syncAgentKey|${item.target.toLowerCase()}|${item.rotationId}${run}`;
  }
}

/** Deterministic per (item, attempt): 40 hex characters, well inside Service Bus' 128-character limit. */
export function messageIdFor(item: WorkItem): string {
  return createHash('sha256').update(`${workItemKey(item)}|${item.attempt}`).digest('hex').slice(0, 40);
}

export function toQueueMessage(item: WorkItem): QueueMessage {
  return {
    messageId: messageIdFor(item),
    sessionId: sessionIdFor(item),
    subject: item.kind,
    contentType: 'application/json',
    correlationId: item.correlationId,
    body: item,
    applicationProperties: {
      kind: item.kind,
      target: item.target,
      attempt: item.attempt,
      ...(item.kind === 'syncAgentKey' ? { secretName: item.secretName } : { key: item.key }),
    },
  };
}

export type ParsedWorkItem = { readonly ok: true; readonly item: WorkItem } | { readonly ok: false; readonly reason: string };

/** Bodies larger than this are not work items (ours are well under 2 KB). */
const MAX_BODY_CHARS = 64 * 1024;
const VERSION = /^[0-9a-fA-F]{32}$/;

/**
 * Parses a queue message body into a work item, or says why it is not one. Shape only: whether the item is
 * allowed (configured key and target, claims that agree with the config) is decided when it runs.
 * Items written by earlier releases (`kind: "serverKey"` with a versioned `keyId` and decisions) are read as
 * reconcile items whose decisions become claims.
 */
export function parseWorkItem(body: unknown): ParsedWorkItem {
  const b = typeof body === 'string' ? parseJsonBody(body) : body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return { ok: false, reason: 'body is not a JSON object' };
  const o = b as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k].length > 0 && o[k].length <= 2048 ? o[k] : undefined);
  const target = str('target');
  const correlationId = str('correlationId');
  const firstSeen = str('firstSeen');
  if (target === undefined || correlationId === undefined || firstSeen === undefined) {
    return { ok: false, reason: 'target, correlationId and firstSeen must be non-empty strings' };
  }
  const attempt = o['attempt'];
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) {
    return { ok: false, reason: 'attempt must be a positive integer' };
  }
  const runId = str('runId');
  const base = { target, correlationId, firstSeen, attempt, ...(runId === undefined ? {} : { runId }) };
  const kind = o['kind'];

  if (kind === 'reconcile' || kind === 'discover' || kind === 'serverKey') {
    const keyField = kind === 'serverKey' ? str('keyId') : str('key');
    if (keyField === undefined) return { ok: false, reason: `${String(kind)} item needs ${kind === 'serverKey' ? 'keyId' : 'key'}` };
    const split = splitKeyUri(keyField);
    const hint = kind === 'serverKey' ? str('version') : str('versionHint');
    if (hint !== undefined && !VERSION.test(hint)) return { ok: false, reason: 'the version must be 32 hexadecimal characters' };
    const versionHint = hint ?? split.version;
    if (kind === 'discover') {
      const item: DiscoverWorkItem = { kind, key: split.versionless, ...base, ...(versionHint === undefined ? {} : { versionHint }) };
      return { ok: true, item };
    }
    const claims = claimsOf(o, split.version);
    if (typeof claims === 'string') return { ok: false, reason: claims };
    const item: ReconcileWorkItem = {
      kind: 'reconcile',
      key: split.versionless,
      ...base,
      ...(versionHint === undefined ? {} : { versionHint }),
      ...(Object.keys(claims).length === 0 ? {} : { claims }),
    };
    return { ok: true, item };
  }
  if (kind === 'syncAgentKey') {
    const vaultUrl = str('vaultUrl');
    const secretName = str('secretName');
    const rotationId = str('rotationId');
    if (vaultUrl === undefined || secretName === undefined || rotationId === undefined) {
      return { ok: false, reason: 'syncAgentKey item needs vaultUrl, secretName and rotationId' };
    }
    const item: SyncAgentWorkItem = { kind, ...base, vaultUrl, secretName, rotationId };
    return { ok: true, item };
  }
  return { ok: false, reason: `unknown kind ${typeof kind === 'string' ? JSON.stringify(kind.slice(0, 40)) : typeof kind}` };
}

/** Decisions a message carried (legacy or crafted), kept as claims for the worker to check against the config. */
function claimsOf(o: Record<string, unknown>, keyVersion: string | undefined): WorkItemClaims | string {
  const claims: { switchProtector?: boolean; geoPrimary?: string; keyVersion?: string } = {};
  if (o['switchProtector'] !== undefined) {
    if (typeof o['switchProtector'] !== 'boolean') return 'switchProtector must be a boolean';
    claims.switchProtector = o['switchProtector'];
  }
  if (o['geoPrimary'] !== undefined) {
    if (typeof o['geoPrimary'] !== 'string') return 'geoPrimary must be a string';
    claims.geoPrimary = o['geoPrimary'];
  }
  if (keyVersion !== undefined) claims.keyVersion = keyVersion;
  return claims;
}

/** `https://v/keys/k/ver` -> versionless + version (shape only; the worker parses the key id strictly). */
function splitKeyUri(uri: string): { versionless: string; version?: string } {
  const m = /^(.*\/keys\/[^/]+)\/([^/]+)\/?$/i.exec(uri);
  return m?.[1] !== undefined && m[2] !== undefined ? { versionless: m[1], version: m[2] } : { versionless: uri.replace(/\/+$/, '') };
}

function parseJsonBody(s: string): unknown {
  if (s.length > MAX_BODY_CHARS) return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    // Deeply nested input makes JSON.parse throw RangeError too: not a work item either way.
    return undefined;
  }
}
