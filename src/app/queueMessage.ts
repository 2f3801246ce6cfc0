/**
 * How a work item travels on the backoff queue (Service Bus or the local durable queue): a JSON body holding
 * identifiers only, a deterministic messageId per (item, attempt) so that Service Bus duplicate detection
 * absorbs duplicate events, and a subject + application properties for filtering.
 */
import { createHash } from 'node:crypto';
import type { ServerKeyWorkItem, SyncAgentWorkItem, WorkItem } from '../domain/workItem.js';

export interface QueueMessage {
  readonly messageId: string;
  readonly subject: string;
  readonly contentType: 'application/json';
  readonly correlationId: string;
  readonly body: WorkItem;
  readonly applicationProperties: Readonly<Record<string, string | number>>;
}

/** Identity of the work (without the attempt): the same for every attempt of one item. */
export function workItemKey(item: WorkItem): string {
  return item.kind === 'serverKey'
    ? `serverKey|${item.target.toLowerCase()}|${item.keyId.toLowerCase()}`
    : `syncAgentKey|${item.target.toLowerCase()}|${item.rotationId}`;
}

/** Deterministic per (item, attempt): 40 hex characters, well inside Service Bus' 128-character limit. */
export function messageIdFor(item: WorkItem): string {
  return createHash('sha256').update(`${workItemKey(item)}|${item.attempt}`).digest('hex').slice(0, 40);
}

export function toQueueMessage(item: WorkItem): QueueMessage {
  return {
    messageId: messageIdFor(item),
    subject: item.kind,
    contentType: 'application/json',
    correlationId: item.correlationId,
    body: item,
    applicationProperties: {
      kind: item.kind,
      target: item.target,
      attempt: item.attempt,
      ...(item.kind === 'serverKey' ? { keyId: item.keyId } : { secretName: item.secretName }),
    },
  };
}

/** Parses a queue message body back into a work item; returns a reason when it is not one. */
export function parseWorkItem(body: unknown): { ok: true; item: WorkItem } | { ok: false; reason: string } {
  const b = typeof body === 'string' ? safeJson(body) : body;
  if (typeof b !== 'object' || b === null) return { ok: false, reason: 'body is not a JSON object' };
  const o = b as Record<string, unknown>;
  const str = (k: string): boolean => typeof o[k] === 'string' && o[k].length > 0;
  if (!str('target') || !str('correlationId') || !str('firstSeen')) {
    return { ok: false, reason: 'target, correlationId and firstSeen must be non-empty strings' };
  }
  if (typeof o['attempt'] !== 'number' || !Number.isInteger(o['attempt']) || o['attempt'] < 1) {
    return { ok: false, reason: 'attempt must be a positive integer' };
  }
  if (o['kind'] === 'serverKey') {
    if (!str('keyId') || !str('version') || typeof o['switchProtector'] !== 'boolean') {
      return { ok: false, reason: 'serverKey item needs keyId, version and switchProtector' };
    }
    return { ok: true, item: o as unknown as ServerKeyWorkItem };
  }
  if (o['kind'] === 'syncAgentKey') {
    if (!str('vaultUrl') || !str('secretName') || !str('rotationId')) {
      return { ok: false, reason: 'syncAgentKey item needs vaultUrl, secretName and rotationId' };
    }
    return { ok: true, item: o as unknown as SyncAgentWorkItem };
  }
  return { ok: false, reason: `unknown kind ${JSON.stringify(o['kind'])}` };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}
