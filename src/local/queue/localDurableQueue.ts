/**
 * The embedded backoff queue of the local host: an on-disk stand-in for the Service Bus queue when no namespace is
 * configured. It keeps the Service Bus semantics the design relies on:
 * - scheduled enqueue time (a message is invisible until then);
 * - peek-lock: a received message stays on disk until completed; a crash or restart makes it visible again;
 * - delivery count, and dead-lettering with `MaxDeliveryCountExceeded` once it reaches the maximum;
 * - duplicate detection by `messageId` within a time window;
 * - a dead-letter store (reason + description) that operators and tests can read.
 *
 * Layout under `dir`: `messages/{sequence}-{messageId}.json` (one file per message), `seen/{messageId}` (duplicate
 * detection history, content = first-seen time), `deadletter/{time}-{sequence}.json`. Every write is a temp file
 * renamed into place, so a crash never leaves a half-written message. One process owns a directory at a time
 * (`owner.lock`).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, FailureSink, WorkQueue } from '../../app/ports.js';
import { toQueueMessage, type QueueMessage } from '../../app/queueMessage.js';
import type { WorkItem } from '../../domain/workItem.js';

/** Service Bus' default for a queue's MaxDeliveryCount. */
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
/** Service Bus' default duplicate detection history window (10 minutes). */
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * 60_000;
/** Dead-letter reason given when a message was delivered the maximum number of times without completing. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/** A message as the queue stores it. */
export interface StoredMessage {
  readonly messageId: string;
  readonly sequenceNumber: number;
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
  readonly reason: string;
  readonly description: string;
  readonly deadLetteredAt: string;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly correlationId: string;
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, string | number>>;
}

export interface LocalDurableQueueOptions {
  /** Directory holding the queue (created when missing). */
  readonly dir: string;
  readonly clock?: Clock;
  readonly maxDeliveryCount?: number;
  readonly duplicateDetectionWindowMs?: number;
}

/** Thrown when another live process owns the queue directory. */
export class QueueDirectoryInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super(`queue directory ${dir} is in use by process ${ownerPid}`);
    this.name = 'QueueDirectoryInUseError';
  }
}

const systemClock: Clock = { now: () => new Date() };

/**
 * On-disk durable queue implementing the {@link WorkQueue} and {@link FailureSink} ports, plus a peek-lock consumer
 * API (`receive`, `complete`, `abandon`, `deadLetterMessage`) for the local host's Service Bus trigger pump.
 * Open it with {@link LocalDurableQueue.open}; close it to release the directory.
 */
export class LocalDurableQueue implements WorkQueue, FailureSink {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly locked = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private nextSequence = 1;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly dir: string,
    private readonly clock: Clock,
    readonly maxDeliveryCount: number,
    private readonly duplicateWindowMs: number,
  ) {}

  /** Opens (or creates) the queue in `options.dir`, recovering every message left by a previous process. */
  static async open(options: LocalDurableQueueOptions): Promise<LocalDurableQueue> {
    const q = new LocalDurableQueue(
      options.dir,
      options.clock ?? systemClock,
      options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT,
      options.duplicateDetectionWindowMs ?? DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
    );
    await q.load();
    return q;
  }

  private get messagesDir(): string {
    return join(this.dir, 'messages');
  }
  private get seenDir(): string {
    return join(this.dir, 'seen');
  }
  private get deadLetterDir(): string {
    return join(this.dir, 'deadletter');
  }
  private get lockFile(): string {
    return join(this.dir, 'owner.lock');
  }

  private async load(): Promise<void> {
    await Promise.all([this.messagesDir, this.seenDir, this.deadLetterDir].map((d) => mkdir(d, { recursive: true })));
    await this.acquireDirectory();
    for (const name of await readdir(this.messagesDir)) {
      const file = join(this.messagesDir, name);
      if (!name.endsWith('.json')) {
        // A temp file from a write interrupted before its rename: the previous state is still on disk.
        await rm(file, { force: true });
        continue;
      }
      const m = JSON.parse(await readFile(file, 'utf8')) as StoredMessage;
      this.messages.set(m.sequenceNumber, m);
      this.nextSequence = Math.max(this.nextSequence, m.sequenceNumber + 1);
    }
    for (const name of await readdir(this.deadLetterDir)) {
      const seq = Number(/-(\d+)\.json$/.exec(name)?.[1] ?? 0);
      this.nextSequence = Math.max(this.nextSequence, seq + 1);
    }
    const now = this.clock.now().getTime();
    for (const id of await readdir(this.seenDir)) {
      const file = join(this.seenDir, id);
      if (id.endsWith('.tmp')) {
        await rm(file, { force: true });
        continue;
      }
      const at = Date.parse(await readFile(file, 'utf8'));
      if (Number.isNaN(at) || now - at >= this.duplicateWindowMs) await rm(file, { force: true });
      else this.seen.set(id, at);
    }
  }

  private async acquireDirectory(): Promise<void> {
    for (;;) {
      try {
        const h = await open(this.lockFile, 'wx');
        await h.writeFile(String(process.pid));
        await h.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = Number(await readFile(this.lockFile, 'utf8').catch(() => '0'));
      if (owner > 0 && owner !== process.pid && isAlive(owner)) throw new QueueDirectoryInUseError(this.dir, owner);
      if (owner === process.pid) throw new QueueDirectoryInUseError(this.dir, owner);
      // The owner died without closing: take the directory over.
      await rm(this.lockFile, { force: true });
    }
  }

  /** WorkQueue: schedules work items (duplicates by messageId are dropped, as Service Bus does). */
  async schedule(items: readonly WorkItem[], at?: Date): Promise<void> {
    await this.send(items.map(toQueueMessage), at);
  }

  /**
   * Enqueues messages visible from `at` (now when omitted). Returns the messageIds accepted; a message whose id was
   * seen within the duplicate detection window is dropped silently, as Service Bus does.
   */
  async send(messages: readonly QueueMessage[], at?: Date): Promise<string[]> {
    this.assertOpen();
    const now = this.clock.now();
    const visibleAt = at ?? now;
    const accepted: string[] = [];
    const writes: (() => Promise<void>)[] = [];
    for (const m of messages) {
      const seenAt = this.seen.get(m.messageId);
      if (seenAt !== undefined && now.getTime() - seenAt < this.duplicateWindowMs) continue;
      this.seen.set(m.messageId, now.getTime());
      const stored: StoredMessage = {
        messageId: m.messageId,
        sequenceNumber: this.nextSequence++,
        subject: m.subject,
        correlationId: m.correlationId,
        contentType: m.contentType,
        body: m.body,
        applicationProperties: m.applicationProperties,
        enqueuedTimeUtc: now.toISOString(),
        scheduledEnqueueTimeUtc: visibleAt.toISOString(),
        deliveryCount: 0,
      };
      // History first: a crash between the two writes can only lose a message the sender was not yet told of.
      writes.push(async () => {
        try {
          await atomicWrite(join(this.seenDir, m.messageId), now.toISOString());
          await atomicWrite(this.messageFile(stored), JSON.stringify(stored));
        } catch (e) {
          // Not stored: the sender's retry must not be mistaken for a duplicate, now or after a restart.
          this.seen.delete(m.messageId);
          await rm(join(this.seenDir, m.messageId), { force: true }).catch(() => undefined);
          throw e;
        }
        this.messages.set(stored.sequenceNumber, stored);
      });
      accepted.push(m.messageId);
    }
    // Messages are independent files: write up to 32 at a time (a thousand-server fan-out arrives in one call).
    // The caller is told only after every write has landed.
    for (let i = 0; i < writes.length; i += 32) await Promise.all(writes.slice(i, i + 32).map((w) => w()));
    if (accepted.length > 0) this.notify();
    return accepted;
  }

  /**
   * Locks and returns up to `maxMessages` visible messages (scheduled time reached, not locked), oldest schedule
   * first, incrementing their delivery count on disk. A message already delivered the maximum number of times
   * (it was in flight when a previous process died) is dead-lettered instead.
   */
  async receive(maxMessages: number): Promise<ReceivedMessage[]> {
    this.assertOpen();
    const now = this.clock.now().getTime();
    const lockedSeqs = new Set(this.locked.values());
    // One pass, parsing each time once: this runs every time a pump slot frees, over every stored message.
    const candidates: { m: StoredMessage; at: number }[] = [];
    for (const m of this.messages.values()) {
      if (lockedSeqs.has(m.sequenceNumber)) continue;
      const at = Date.parse(m.scheduledEnqueueTimeUtc);
      if (at <= now) candidates.push({ m, at });
    }
    const due = candidates.sort((a, b) => a.at - b.at || a.m.sequenceNumber - b.m.sequenceNumber).map((c) => c.m);
    const out: ReceivedMessage[] = [];
    for (const m of due) {
      if (out.length >= maxMessages) break;
      // Lock before any await so that a concurrent receive cannot hand out the same message.
      const lockToken = randomUUID();
      this.locked.set(lockToken, m.sequenceNumber);
      if (m.deliveryCount >= this.maxDeliveryCount) {
        await this.moveToDeadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveriesDescription(m.deliveryCount));
        this.locked.delete(lockToken);
        continue;
      }
      const delivered: StoredMessage = { ...m, deliveryCount: m.deliveryCount + 1 };
      this.messages.set(m.sequenceNumber, delivered);
      await atomicWrite(this.messageFile(delivered), JSON.stringify(delivered));
      out.push({ ...delivered, lockToken });
    }
    return out;
  }

  /** Removes a received message for good (the handler succeeded). */
  async complete(message: ReceivedMessage): Promise<void> {
    const m = this.takeLock(message);
    this.messages.delete(m.sequenceNumber);
    await rm(this.messageFile(m), { force: true });
  }

  /**
   * Releases the lock so the message is delivered again at once, or dead-letters it with
   * `MaxDeliveryCountExceeded` when it has been delivered the maximum number of times.
   */
  async abandon(message: ReceivedMessage): Promise<void> {
    const m = this.takeLock(message);
    if (m.deliveryCount >= this.maxDeliveryCount) {
      await this.moveToDeadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveriesDescription(m.deliveryCount));
      return;
    }
    this.notify();
  }

  /** Moves a received message to the dead-letter store with a reason. */
  async deadLetterMessage(message: ReceivedMessage, reason: string, description: string): Promise<void> {
    const m = this.takeLock(message);
    await this.moveToDeadLetter(m, reason, description);
  }

  /** FailureSink: records a dead work item with its reason and description in the dead-letter store. */
  async deadLetter(item: WorkItem, reason: string, description: string): Promise<void> {
    this.assertOpen();
    const qm = toQueueMessage(item);
    await this.writeDeadLetter({
      messageId: qm.messageId,
      reason,
      description,
      deadLetteredAt: this.clock.now().toISOString(),
      deliveryCount: 0,
      subject: qm.subject,
      correlationId: qm.correlationId,
      body: qm.body,
      applicationProperties: qm.applicationProperties,
    }, this.nextSequence++);
  }

  /** Every dead-lettered message, oldest first. */
  async listDeadLetters(): Promise<DeadLetterRecord[]> {
    const names = (await readdir(this.deadLetterDir)).filter((n) => n.endsWith('.json')).sort();
    return Promise.all(
      names.map(async (n) => JSON.parse(await readFile(join(this.deadLetterDir, n), 'utf8')) as DeadLetterRecord),
    );
  }

  /** Counts: messages waiting for their time, visible now, locked by a consumer. */
  counts(): { scheduled: number; active: number; locked: number } {
    const now = this.clock.now().getTime();
    const lockedSeqs = new Set(this.locked.values());
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

  /** The earliest scheduled time among unlocked messages, if any. */
  nextVisibleAt(): Date | undefined {
    const lockedSeqs = new Set(this.locked.values());
    let min: number | undefined;
    for (const m of this.messages.values()) {
      if (lockedSeqs.has(m.sequenceNumber)) continue;
      const t = Date.parse(m.scheduledEnqueueTimeUtc);
      if (min === undefined || t < min) min = t;
    }
    return min === undefined ? undefined : new Date(min);
  }

  /** Calls `listener` whenever a message may have become available (send, abandon). Returns an unsubscribe. */
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
    await rm(this.lockFile, { force: true });
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
    await rm(this.messageFile(m), { force: true });
  }

  private async writeDeadLetter(record: DeadLetterRecord, sequence: number): Promise<void> {
    const name = `${String(Date.parse(record.deadLetteredAt)).padStart(15, '0')}-${String(sequence).padStart(12, '0')}.json`;
    await atomicWrite(join(this.deadLetterDir, name), JSON.stringify(record, null, 2));
  }

  private messageFile(m: StoredMessage): string {
    return join(this.messagesDir, `${String(m.sequenceNumber).padStart(12, '0')}-${m.messageId}.json`);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`queue ${this.dir} is closed`);
  }
}

function maxDeliveriesDescription(count: number): string {
  return `Message was delivered ${count} times without being completed (the handler threw each time).`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, content);
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
