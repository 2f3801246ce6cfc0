/**
 * What the embedded queue keeps on disk, and the checks a file must pass to be loaded: a file that fails them is
 * moved to quarantine instead of blocking start-up.
 */
import type { OutgoingMessage } from './localDurableQueueOptions.js';
import { sessionOfBody } from './sessionOfBody.js';

/** A message as the queue stores it. */
export interface StoredMessage {
  readonly messageId: string;
  readonly sequenceNumber: number;
  /** Service Bus SessionId: messages of one session are delivered one at a time, in order. */
  readonly sessionId?: string;
  readonly subject: string;
  readonly correlationId: string;
  readonly contentType: string;
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, string | number>>;
  /** ISO time the message was accepted. */
  readonly enqueuedTimeUtc: string;
  /** ISO time the message becomes visible. */
  readonly scheduledEnqueueTimeUtc: string;
  /** Times the message has been handed to a consumer (incremented on each receive, as Service Bus does). */
  readonly deliveryCount: number;
}

/** A message handed to a consumer under a lock: complete it, abandon it or dead-letter it. */
export interface ReceivedMessage extends StoredMessage {
  readonly lockToken: string;
}

/** One entry of the dead-letter store. */
export interface DeadLetterRecord {
  readonly messageId: string;
  readonly sessionId?: string;
  readonly reason: string;
  readonly description: string;
  readonly deadLetteredAt: string;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly correlationId: string;
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, string | number>>;
}

/** Parses a message file; a reason when it is not a whole, well-formed message. */
export function parseStoredMessage(text: string): { ok: true; message: StoredMessage } | { ok: false; reason: string } {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON (torn or corrupted)' };
  }
  if (typeof o !== 'object' || o === null) return { ok: false, reason: 'not a JSON object' };
  const m = o as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof m['messageId'] !== 'string' || m['messageId'] === '') problems.push('messageId');
  if (!isCount(m['sequenceNumber']) || m['sequenceNumber'] === 0) problems.push('sequenceNumber');
  if (m['sessionId'] !== undefined && typeof m['sessionId'] !== 'string') problems.push('sessionId');
  if (!isTime(m['enqueuedTimeUtc'])) problems.push('enqueuedTimeUtc');
  if (!isTime(m['scheduledEnqueueTimeUtc'])) problems.push('scheduledEnqueueTimeUtc');
  if (!isCount(m['deliveryCount'])) problems.push('deliveryCount');
  if (typeof m['applicationProperties'] !== 'object' || m['applicationProperties'] === null) {
    problems.push('applicationProperties');
  }
  if (problems.length > 0) return { ok: false, reason: `missing or invalid ${problems.join(', ')}` };
  return { ok: true, message: o as StoredMessage };
}

/** Parses a dead-letter file; undefined when it is not one. */
export function parseDeadLetterRecord(text: string): DeadLetterRecord | undefined {
  try {
    const o = JSON.parse(text) as Partial<DeadLetterRecord> | null;
    if (typeof o !== 'object' || o === null) return undefined;
    return typeof o.messageId === 'string' && typeof o.reason === 'string' ? (o as DeadLetterRecord) : undefined;
  } catch {
    return undefined;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isTime(v: unknown): boolean {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}

/** What a dead-letter record is made of: a stored message, or a work item that never was one (delivery count 0). */
export type DeadLetterSource = Pick<
  StoredMessage,
  'messageId' | 'sessionId' | 'deliveryCount' | 'subject' | 'correlationId' | 'body' | 'applicationProperties'
>;

/** The dead-letter record of `m`. */
export function deadLetterRecordOf(m: DeadLetterSource, reason: string, description: string, at: Date): DeadLetterRecord {
  return {
    messageId: m.messageId,
    ...(m.sessionId === undefined ? {} : { sessionId: m.sessionId }),
    reason,
    description,
    deadLetteredAt: at.toISOString(),
    deliveryCount: m.deliveryCount,
    subject: m.subject,
    correlationId: m.correlationId,
    body: m.body,
    applicationProperties: m.applicationProperties,
  };
}

/** The stored form of an accepted message: its session (given, or that of a work-item body), its times, no delivery yet. */
export function storedMessageOf(m: OutgoingMessage, sequenceNumber: number, enqueuedAt: Date, visibleAt: Date): StoredMessage {
  const sessionId = m.sessionId ?? sessionOfBody(m.body);
  return {
    messageId: m.messageId,
    sequenceNumber,
    ...(sessionId === undefined ? {} : { sessionId }),
    subject: m.subject,
    correlationId: m.correlationId,
    contentType: m.contentType,
    body: m.body,
    applicationProperties: m.applicationProperties,
    enqueuedTimeUtc: enqueuedAt.toISOString(),
    scheduledEnqueueTimeUtc: visibleAt.toISOString(),
    deliveryCount: 0,
  };
}
