/**
 * The embedded backoff queue of the local host: an on-disk stand-in for the Service Bus queue when no namespace is
 * configured. It keeps the Service Bus semantics the design relies on:
 * - scheduled enqueue time (a message is invisible until then);
 * - peek-lock: a received message stays on disk until completed; a crash or restart makes it visible again;
 * - sessions: a message carries the SessionId of its work item's target (`sessionIdFor`); while one message of a
 *   session is locked, no other message of that session is handed out, and a session's messages come in order of
 *   scheduled time, then enqueue order. Other sessions proceed in parallel;
 * - delivery count, and dead-lettering with `MaxDeliveryCountExceeded` once it reaches the maximum;
 * - duplicate detection by `messageId` within a time window;
 * - a dead-letter store (reason + description) that operators and tests can read.
 *
 * Files: queueLayout.ts; start-up and quarantine: recoverQueueDirectory.ts. Every write is a temp file, flushed and
 * renamed into place with its directory flushed (atomicWriteFile.ts), owner-readable only. A message is written before its
 * duplicate-detection entry, and its id counts as seen only once the message is on disk: a crash between the two
 * writes leaves a message whose own file still marks its id as seen on the next start. One process owns a
 * directory at a time (directoryLock.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, FailureSink, WorkQueue } from '../../app/ports.js';
import { toQueueMessage, type QueueMessage } from '../../app/queueMessage.js';
import { sessionIdFor } from '../../app/sessionIdFor.js';
import type { WorkItem } from '../../domain/workItem.js';
import { atomicWriteFile, PRIVATE_DIR_MODE } from './atomicWriteFile.js';
import { DirectoryLock } from './directoryLock.js';
import { QueueLayout } from './queueLayout.js';
import { recoverQueueDirectory } from './recoverQueueDirectory.js';
import { parseDeadLetterRecord, type DeadLetterRecord, type ReceivedMessage, type StoredMessage } from './storedMessage.js';

export { LOCK_FILE, QueueDirectoryInUseError } from './directoryLock.js';
export { QUARANTINE_DIR } from './queueLayout.js';
export type { DeadLetterRecord, ReceivedMessage, StoredMessage } from './storedMessage.js';

/** Service Bus' default for a queue's MaxDeliveryCount. */
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
/** Service Bus' default duplicate detection history window (10 minutes). */
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * 60_000;
/** Dead-letter reason given when a message was delivered the maximum number of times without completing. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/** A message to enqueue; without `sessionId`, the session is derived from the work item in its body. */
export type OutgoingMessage = Omit<QueueMessage, 'sessionId'> & { readonly sessionId?: string };

export interface LocalDurableQueueOptions {
  /** Directory holding the queue (created when missing). */
  readonly dir: string;
  readonly clock?: Clock;
  readonly maxDeliveryCount?: number;
  readonly duplicateDetectionWindowMs?: number;
  /** Told about files moved to quarantine. Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

const systemClock: Clock = { now: () => new Date() };
/** Files written at once by one `send` (a thousand-server fan-out arrives in one call). */
const WRITE_BATCH = 32;

/**
 * On-disk durable queue implementing the {@link WorkQueue} and {@link FailureSink} ports, plus a peek-lock consumer
 * API (`receive`, `complete`, `abandon`, `deadLetterMessage`) for the local host's Service Bus trigger pump.
 * Open it with {@link LocalDurableQueue.open}; close it to release the directory.
 */
export class LocalDurableQueue implements WorkQueue, FailureSink {
  private messages = new Map<number, StoredMessage>();
  /** lockToken -> sequence number of the message it locks. */
  private readonly locked = new Map<string, number>();
  private seen = new Map<string, number>();
  /** messageIds whose write is under way: a concurrent send of the same id waits for the outcome. */
  private readonly writing = new Map<string, Promise<unknown>>();
  /**
   * Sequence numbers whose message is being written. No message after the lowest of them is handed out yet, so
   * that a session's order is enqueue order even when a later write lands first.
   */
  private readonly pendingSequences = new Set<number>();
  private nextSequence = 1;
  private closed = false;
  private lock: DirectoryLock | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly layout: QueueLayout;

  private constructor(
    readonly dir: string,
    private readonly clock: Clock,
    readonly maxDeliveryCount: number,
    private readonly duplicateWindowMs: number,
    private readonly warn: (message: string) => void,
  ) {
    this.layout = new QueueLayout(dir);
  }

  /** Opens (or creates) the queue in `options.dir`, recovering every message left by a previous process. */
  static async open(options: LocalDurableQueueOptions): Promise<LocalDurableQueue> {
    const q = new LocalDurableQueue(
      options.dir,
      options.clock ?? systemClock,
      options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT,
      options.duplicateDetectionWindowMs ?? DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
      options.onWarning ?? ((message) => process.emitWarning(message, 'LocalQueueWarning')),
    );
    await q.load();
    return q;
  }

  private async load(): Promise<void> {
    const { layout } = this;
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.lock = await DirectoryLock.acquire(this.dir);
    try {
      await Promise.all(
        [layout.messagesDir, layout.seenDir, layout.deadLetterDir].map((d) => mkdir(d, { recursive: true, mode: PRIVATE_DIR_MODE })),
      );
      const recovered = await recoverQueueDirectory(layout, {
        now: this.clock.now().getTime(),
        duplicateWindowMs: this.duplicateWindowMs,
        warn: this.warn,
      });
      this.messages = recovered.messages;
      this.seen = recovered.seen;
      this.nextSequence = recovered.nextSequence;
    } catch (error) {
      await this.lock.release();
      throw error;
    }
  }

  /** WorkQueue: schedules work items (duplicates by messageId are dropped, as Service Bus does). */
  async schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    await this.send(items.map(toQueueMessage), at);
  }

  /**
   * Enqueues messages visible from `at` (now when omitted). Returns the messageIds accepted; a message whose id was
   * seen within the duplicate detection window is dropped silently, as Service Bus does. Resolves only once every
   * accepted message is on disk; a rejection means some were not stored, and a retry of those is not taken for
   * a duplicate.
   */
  async send(messages: readonly OutgoingMessage[], at?: Date): Promise<string[]> {
    this.assertOpen();
    const now = this.clock.now();
    const visibleAt = at ?? now;
    const accepted: boolean[] = [];
    for (let i = 0; i < messages.length; i += WRITE_BATCH) {
      const batch = messages.slice(i, i + WRITE_BATCH);
      accepted.push(...(await Promise.all(batch.map((m) => this.accept(m, now, visibleAt)))));
    }
    const ids = messages.filter((_, i) => accepted[i] === true).map((m) => m.messageId);
    if (ids.length > 0) this.notify();
    return ids;
  }

  /** Stores one message unless its id is a duplicate; true when stored. */
  private async accept(m: OutgoingMessage, now: Date, visibleAt: Date): Promise<boolean> {
    // Another write of this id under way (same batch or a concurrent send): its outcome decides.
    for (let pending = this.writing.get(m.messageId); pending !== undefined; pending = this.writing.get(m.messageId)) {
      await pending.catch(() => undefined);
    }
    const seenAt = this.seen.get(m.messageId);
    if (seenAt !== undefined && now.getTime() - seenAt < this.duplicateWindowMs) return false;
    const sessionId = m.sessionId ?? sessionOfBody(m.body);
    const stored: StoredMessage = {
      messageId: m.messageId,
      sequenceNumber: this.nextSequence++,
      ...(sessionId === undefined ? {} : { sessionId }),
      subject: m.subject,
      correlationId: m.correlationId,
      contentType: m.contentType,
      body: m.body,
      applicationProperties: m.applicationProperties,
      enqueuedTimeUtc: now.toISOString(),
      scheduledEnqueueTimeUtc: visibleAt.toISOString(),
      deliveryCount: 0,
    };
    this.pendingSequences.add(stored.sequenceNumber);
    const write = (async () => {
      // Message first: until it is on disk the id is not seen, so a failed write never makes the sender's retry
      // look like a duplicate. History second: after a crash between the two, the message file marks the id.
      try {
        await atomicWriteFile(this.layout.messageFile(stored), JSON.stringify(stored));
        this.seen.set(m.messageId, now.getTime());
        this.messages.set(stored.sequenceNumber, stored);
      } finally {
        this.pendingSequences.delete(stored.sequenceNumber);
      }
      await atomicWriteFile(this.layout.seenFile(m.messageId), now.toISOString());
    })();
    this.writing.set(m.messageId, write);
    try {
      await write;
    } finally {
      this.writing.delete(m.messageId);
    }
    return true;
  }

  /**
   * Locks and returns up to `maxMessages` visible messages (scheduled time reached, not locked, session not
   * locked), oldest schedule first and at most one per session, incrementing their delivery count on disk. A
   * message already delivered the maximum number of times (it was in flight when a previous process died) is
   * dead-lettered instead.
   */
  async receive(maxMessages: number): Promise<ReceivedMessage[]> {
    this.assertOpen();
    const due = this.available(this.clock.now().getTime());
    const out: ReceivedMessage[] = [];
    const taken = new Set<string>();
    for (const candidate of due) {
      if (out.length >= maxMessages) break;
      // Checked again after each await: a concurrent receive may have taken the message or its session.
      const m = this.messages.get(candidate.sequenceNumber);
      if (m === undefined || this.lockedSequences().has(m.sequenceNumber)) continue;
      if (m.sessionId !== undefined && (taken.has(m.sessionId) || this.lockedSessions().has(m.sessionId))) continue;
      // Lock before any await so that a concurrent receive cannot hand out the same message or session.
      const lockToken = randomUUID();
      this.locked.set(lockToken, m.sequenceNumber);
      if (m.deliveryCount >= this.maxDeliveryCount) {
        await this.moveToDeadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveriesDescription(m.deliveryCount));
        this.locked.delete(lockToken);
        continue; // the session's next message may be due too: a later receive hands it out
      }
      if (m.sessionId !== undefined) taken.add(m.sessionId);
      const delivered: StoredMessage = { ...m, deliveryCount: m.deliveryCount + 1 };
      this.messages.set(m.sequenceNumber, delivered);
      await atomicWriteFile(this.layout.messageFile(delivered), JSON.stringify(delivered));
      out.push({ ...delivered, lockToken });
    }
    return out;
  }

  /** Removes a received message for good (the handler succeeded); its session's next message becomes available. */
  async complete(message: ReceivedMessage): Promise<void> {
    const m = this.takeLock(message);
    this.messages.delete(m.sequenceNumber);
    await rm(this.layout.messageFile(m), { force: true });
    this.notify();
  }

  /**
   * Releases the lock so the message is delivered again at once, or dead-letters it with
   * `MaxDeliveryCountExceeded` when it has been delivered the maximum number of times.
   */
  async abandon(message: ReceivedMessage): Promise<void> {
    const m = this.takeLock(message);
    if (m.deliveryCount >= this.maxDeliveryCount) {
      await this.moveToDeadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveriesDescription(m.deliveryCount));
    }
    this.notify();
  }

  /** Moves a received message to the dead-letter store with a reason. */
  async deadLetterMessage(message: ReceivedMessage, reason: string, description: string): Promise<void> {
    const m = this.takeLock(message);
    await this.moveToDeadLetter(m, reason, description);
    this.notify();
  }

  /** FailureSink: records a dead work item with its reason and description in the dead-letter store. */
  async deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    this.assertOpen();
    const qm = toQueueMessage(item);
    await this.writeDeadLetter(
      {
        messageId: qm.messageId,
        sessionId: sessionIdFor(item),
        reason,
        description,
        deadLetteredAt: this.clock.now().toISOString(),
        deliveryCount: 0,
        subject: qm.subject,
        correlationId: qm.correlationId,
        body: qm.body,
        applicationProperties: qm.applicationProperties,
      },
      this.nextSequence++,
    );
  }

  /** Every dead-lettered message, oldest first. */
  async listDeadLetters(): Promise<DeadLetterRecord[]> {
    const dir = this.layout.deadLetterDir;
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    const records = await Promise.all(names.map(async (n) => parseDeadLetterRecord(await readFile(join(dir, n), 'utf8'))));
    return records.filter((r): r is DeadLetterRecord => r !== undefined);
  }

  /** Counts: messages waiting for their time, visible now, locked by a consumer. */
  counts(): { scheduled: number; active: number; locked: number } {
    const now = this.clock.now().getTime();
    const lockedSeqs = this.lockedSequences();
    let scheduled = 0;
    let active = 0;
    for (const m of this.messages.values()) {
      if (lockedSeqs.has(m.sequenceNumber)) continue;
      if (Date.parse(m.scheduledEnqueueTimeUtc) > now) scheduled++;
      else active++;
    }
    return { scheduled, active, locked: lockedSeqs.size };
  }

  /** A copy of every message on the queue (locked ones included). */
  peekAll(): StoredMessage[] {
    return [...this.messages.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }

  /**
   * The earliest scheduled time among messages a receive could hand out (not locked, session not locked), if any.
   * A message waiting for its session has no time of its own: settling the session's locked message wakes the
   * listeners.
   */
  nextVisibleAt(): Date | undefined {
    const first = this.available(Number.POSITIVE_INFINITY)[0];
    return first === undefined ? undefined : new Date(first.scheduledEnqueueTimeUtc);
  }

  /** Calls `listener` whenever a message may have become available (send, settle). Returns an unsubscribe. */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Releases the directory. Locked messages stay on disk and are delivered again by the next owner, exactly as
   * if this process had died.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.locked.clear();
    this.listeners.clear();
    await this.lock?.release();
  }

  /** Messages due by `now` that are not locked and whose session is not locked, in delivery order. */
  private available(now: number): StoredMessage[] {
    const lockedSeqs = this.lockedSequences();
    const lockedSessions = this.lockedSessions();
    const horizon = Math.min(...this.pendingSequences);
    // One pass, parsing each time once: this runs every time a pump slot frees, over every stored message.
    const candidates: { m: StoredMessage; at: number }[] = [];
    for (const m of this.messages.values()) {
      if (lockedSeqs.has(m.sequenceNumber) || m.sequenceNumber > horizon) continue;
      if (m.sessionId !== undefined && lockedSessions.has(m.sessionId)) continue;
      const at = Date.parse(m.scheduledEnqueueTimeUtc);
      if (at <= now) candidates.push({ m, at });
    }
    return candidates.sort((a, b) => a.at - b.at || a.m.sequenceNumber - b.m.sequenceNumber).map((c) => c.m);
  }

  private lockedSequences(): Set<number> {
    return new Set(this.locked.values());
  }

  private lockedSessions(): Set<string> {
    const sessions = new Set<string>();
    for (const seq of this.locked.values()) {
      const s = this.messages.get(seq)?.sessionId;
      if (s !== undefined) sessions.add(s);
    }
    return sessions;
  }

  private takeLock(message: ReceivedMessage): StoredMessage {
    this.assertOpen();
    const seq = this.locked.get(message.lockToken);
    const m = seq === undefined ? undefined : this.messages.get(seq);
    if (seq === undefined || m === undefined) {
      throw new Error(`message ${message.messageId}: lock ${message.lockToken} is not held (lost or already settled)`);
    }
    this.locked.delete(message.lockToken);
    return m;
  }

  private async moveToDeadLetter(m: StoredMessage, reason: string, description: string): Promise<void> {
    // Out of the in-memory index at once (no concurrent receive may take it); on disk, the dead-letter record is
    // written before the message file goes, so a crash in between duplicates and never loses.
    this.messages.delete(m.sequenceNumber);
    await this.writeDeadLetter(
      {
        messageId: m.messageId,
        ...(m.sessionId === undefined ? {} : { sessionId: m.sessionId }),
        reason,
        description,
        deadLetteredAt: this.clock.now().toISOString(),
        deliveryCount: m.deliveryCount,
        subject: m.subject,
        correlationId: m.correlationId,
        body: m.body,
        applicationProperties: m.applicationProperties,
      },
      m.sequenceNumber,
    );
    await rm(this.layout.messageFile(m), { force: true });
  }

  private async writeDeadLetter(record: DeadLetterRecord, sequence: number): Promise<void> {
    await atomicWriteFile(this.layout.deadLetterFile(record.deadLetteredAt, sequence), JSON.stringify(record, null, 2));
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`queue ${this.dir} is closed`);
  }
}

/** The session of a body that is a work item (anything with a string `target`); none otherwise. */
function sessionOfBody(body: unknown): string | undefined {
  const target = typeof body === 'object' && body !== null ? (body as { target?: unknown }).target : undefined;
  return typeof target === 'string' && target !== '' ? sessionIdFor({ target }) : undefined;
}

function maxDeliveriesDescription(count: number): string {
  return `Message was delivered ${count} times without being completed (the handler threw each time).`;
}
