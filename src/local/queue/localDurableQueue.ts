/**
 * The embedded backoff queue of the local host: an on-disk stand-in for the Service Bus queue when no namespace is
 * configured, with the Service Bus semantics the design relies on: scheduled enqueue time; peek-lock (a received
 * message stays on disk until settled, and a restart makes it visible again); sessions (one message of a target in
 * flight at a time, in order: messageIndex.ts); delivery count and `MaxDeliveryCountExceeded`; duplicate detection
 * by messageId (duplicateDetection.ts); a dead-letter store operators and tests can read (deadLetterStore.ts).
 *
 * On disk (queueLayout.ts): every write is a temp file flushed and renamed into place, directory flushed, owner-only
 * (atomicWriteFile.ts); a message is written before its duplicate-detection entry, so after a crash between the two
 * the message file itself marks its id as seen. Start-up (openQueueDirectory.ts): one process owns the directory at
 * a time (directoryLock.ts), and unreadable files go to quarantine (recoverQueueDirectory.ts).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Clock, FailureSink, WorkQueue } from '../../app/ports.js';
import { toQueueMessage } from '../../app/queueMessage.js';
import { sessionIdFor } from '../../app/sessionIdFor.js';
import type { WorkItem } from '../../domain/workItem.js';
import { atomicWriteFile } from './atomicWriteFile.js';
import { DeadLetterStore } from './deadLetterStore.js';
import type { DirectoryLock } from './directoryLock.js';
import { DuplicateDetection } from './duplicateDetection.js';
import {
  DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
  DEFAULT_MAX_DELIVERY_COUNT,
  MAX_DELIVERY_COUNT_EXCEEDED,
  maxDeliveriesDescription,
  type LocalDurableQueueOptions,
  type OutgoingMessage,
} from './localDurableQueueOptions.js';
import { MessageIndex } from './messageIndex.js';
import { openQueueDirectory, type OpenedQueueDirectory } from './openQueueDirectory.js';
import { QueueLayout } from './queueLayout.js';
import { deadLetterRecordOf, storedMessageOf, type DeadLetterRecord, type ReceivedMessage, type StoredMessage } from './storedMessage.js';

export { LOCK_FILE, QueueDirectoryInUseError } from './directoryLock.js';
export { QUARANTINE_DIR } from './queueLayout.js';
export type { DeadLetterRecord, ReceivedMessage, StoredMessage } from './storedMessage.js';
export * from './localDurableQueueOptions.js';

const systemClock: Clock = { now: () => new Date() };
/** Files written at once by one `send` (a thousand-server fan-out arrives in one call). */
const WRITE_BATCH = 32;

/**
 * On-disk durable queue implementing the {@link WorkQueue} and {@link FailureSink} ports, plus a peek-lock consumer
 * API (`receive`, `complete`, `abandon`, `deadLetterMessage`) for the local host's Service Bus trigger pump.
 * Open it with {@link LocalDurableQueue.open}; close it to release the directory.
 */
export class LocalDurableQueue implements WorkQueue, FailureSink {
  readonly dir: string;
  private readonly index: MessageIndex;
  private readonly duplicates: DuplicateDetection;
  private readonly deadLetters: DeadLetterStore;
  private readonly lock: DirectoryLock;
  private nextSequence: number;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly layout: QueueLayout,
    private readonly clock: Clock,
    readonly maxDeliveryCount: number,
    duplicateWindowMs: number,
    { lock, recovered }: OpenedQueueDirectory,
  ) {
    this.dir = layout.dir;
    this.lock = lock;
    this.index = new MessageIndex(recovered.messages);
    this.duplicates = new DuplicateDetection(recovered.seen, duplicateWindowMs);
    this.deadLetters = new DeadLetterStore(layout);
    this.nextSequence = recovered.nextSequence;
  }

  /** Opens (or creates) the queue in `options.dir`, recovering every message left by a previous process. */
  static async open(options: LocalDurableQueueOptions): Promise<LocalDurableQueue> {
    const layout = new QueueLayout(options.dir);
    const clock = options.clock ?? systemClock;
    const duplicateWindowMs = options.duplicateDetectionWindowMs ?? DEFAULT_DUPLICATE_DETECTION_WINDOW_MS;
    const opened = await openQueueDirectory(layout, {
      now: clock.now().getTime(),
      duplicateWindowMs,
      warn: options.onWarning ?? ((message) => process.emitWarning(message, 'LocalQueueWarning')),
    });
    return new LocalDurableQueue(layout, clock, options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT, duplicateWindowMs, opened);
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
  private accept(m: OutgoingMessage, now: Date, visibleAt: Date): Promise<boolean> {
    return this.duplicates.storeUnlessDuplicate(m.messageId, now.getTime(), async () => {
      const stored = storedMessageOf(m, this.nextSequence++, now, visibleAt);
      this.index.writing(stored.sequenceNumber, true);
      // Message first: until it is on disk the id is not seen, so a failed write never makes the sender's retry
      // look like a duplicate. History second: after a crash between the two, the message file marks the id.
      try {
        await atomicWriteFile(this.layout.messageFile(stored), JSON.stringify(stored));
        this.duplicates.markSeen(m.messageId, now.getTime());
        this.index.set(stored);
      } finally {
        this.index.writing(stored.sequenceNumber, false);
      }
      await atomicWriteFile(this.layout.seenFile(m.messageId), now.toISOString());
    });
  }

  /**
   * Locks and returns up to `maxMessages` visible messages (scheduled time reached, not locked, session not
   * locked), oldest schedule first and at most one per session, incrementing their delivery count on disk. A
   * message already delivered the maximum number of times (it was in flight when a previous process died) is
   * dead-lettered instead.
   */
  async receive(maxMessages: number): Promise<ReceivedMessage[]> {
    this.assertOpen();
    const due = this.index.available(this.clock.now().getTime());
    const out: ReceivedMessage[] = [];
    const taken = new Set<string>();
    for (const candidate of due) {
      if (out.length >= maxMessages) break;
      // Checked again after each await: a concurrent receive may have taken the message or its session.
      const m = this.index.get(candidate.sequenceNumber);
      if (m === undefined || this.index.isLocked(m.sequenceNumber)) continue;
      if (m.sessionId !== undefined && (taken.has(m.sessionId) || this.index.isSessionLocked(m.sessionId))) continue;
      // Lock before any await so that a concurrent receive cannot hand out the same message or session.
      const lockToken = randomUUID();
      this.index.lock(lockToken, m.sequenceNumber);
      if (m.deliveryCount >= this.maxDeliveryCount) {
        await this.moveToDeadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveriesDescription(m.deliveryCount));
        this.index.unlock(lockToken);
        continue; // the session's next message may be due too: a later receive hands it out
      }
      if (m.sessionId !== undefined) taken.add(m.sessionId);
      const delivered: StoredMessage = { ...m, deliveryCount: m.deliveryCount + 1 };
      this.index.set(delivered);
      await atomicWriteFile(this.layout.messageFile(delivered), JSON.stringify(delivered));
      out.push({ ...delivered, lockToken });
    }
    return out;
  }

  /** Removes a received message for good (the handler succeeded); its session's next message becomes available. */
  async complete(message: ReceivedMessage): Promise<void> {
    const m = this.takeLock(message);
    this.index.delete(m.sequenceNumber);
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
    const source = { ...toQueueMessage(item), sessionId: sessionIdFor(item), deliveryCount: 0 };
    await this.deadLetters.add(deadLetterRecordOf(source, reason, description, this.clock.now()), this.nextSequence++);
  }

  /** Every dead-lettered message, oldest first. */
  async listDeadLetters(): Promise<DeadLetterRecord[]> {
    return this.deadLetters.list();
  }

  /** Counts: messages waiting for their time, visible now, locked by a consumer. */
  counts(): { scheduled: number; active: number; locked: number } {
    return this.index.counts(this.clock.now().getTime());
  }

  /** A copy of every message on the queue (locked ones included). */
  peekAll(): StoredMessage[] {
    return this.index.all();
  }

  /**
   * The earliest scheduled time among messages a receive could hand out (not locked, session not locked), if any.
   * A message waiting for its session has no time of its own: settling the session's locked message wakes the
   * listeners.
   */
  nextVisibleAt(): Date | undefined {
    const first = this.index.available(Number.POSITIVE_INFINITY)[0];
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
    this.index.clearLocks();
    this.listeners.clear();
    await this.lock.release();
  }

  private takeLock(message: ReceivedMessage): StoredMessage {
    this.assertOpen();
    const m = this.index.unlock(message.lockToken);
    if (m === undefined) {
      throw new Error(`message ${message.messageId}: lock ${message.lockToken} is not held (lost or already settled)`);
    }
    return m;
  }

  private async moveToDeadLetter(m: StoredMessage, reason: string, description: string): Promise<void> {
    // Out of the in-memory index at once, so that no concurrent receive may take it; then onto disk.
    this.index.delete(m.sequenceNumber);
    await this.deadLetters.moveIn(m, reason, description, this.clock.now());
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`queue ${this.dir} is closed`);
  }
}
