/**
 * The embedded queue's in-memory view of its messages: which are stored, which are locked by a consumer, which are
 * still being written, and so which may be handed out now. Service Bus session rules live here: a message whose
 * session has a locked message is not available; a session's messages come in order of scheduled time, then
 * enqueue (sequence) order; nothing enqueued after a message still being written is handed out before it lands.
 * No I/O: LocalDurableQueue keeps the disk in step.
 */
import type { StoredMessage } from './storedMessage.js';

export class MessageIndex {
  /** lockToken -> sequence number of the message it locks. */
  private readonly locks = new Map<string, number>();
  /** Sequence numbers whose message is being written. */
  private readonly pending = new Set<number>();

  constructor(private readonly messages: Map<number, StoredMessage> = new Map()) {}

  get(sequenceNumber: number): StoredMessage | undefined {
    return this.messages.get(sequenceNumber);
  }

  /** Adds or replaces a message (after its file is written). */
  set(m: StoredMessage): void {
    this.messages.set(m.sequenceNumber, m);
  }

  delete(sequenceNumber: number): void {
    this.messages.delete(sequenceNumber);
  }

  /** Every message, locked ones included, in sequence order. */
  all(): StoredMessage[] {
    return [...this.messages.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }

  /** Marks a sequence number as being written (true) or no longer (false). */
  writing(sequenceNumber: number, inProgress: boolean): void {
    if (inProgress) this.pending.add(sequenceNumber);
    else this.pending.delete(sequenceNumber);
  }

  lock(token: string, sequenceNumber: number): void {
    this.locks.set(token, sequenceNumber);
  }

  /** Releases a lock; the message it held, or undefined when the lock is not held (lost or already settled). */
  unlock(token: string): StoredMessage | undefined {
    const seq = this.locks.get(token);
    if (seq === undefined) return undefined;
    this.locks.delete(token);
    return this.messages.get(seq);
  }

  /** Drops every lock (the queue is closing: locked messages are delivered again by the next owner). */
  clearLocks(): void {
    this.locks.clear();
  }

  isLocked(sequenceNumber: number): boolean {
    for (const seq of this.locks.values()) if (seq === sequenceNumber) return true;
    return false;
  }

  isSessionLocked(sessionId: string): boolean {
    for (const seq of this.locks.values()) if (this.messages.get(seq)?.sessionId === sessionId) return true;
    return false;
  }

  /** Messages due by `now` (ms) that may be handed out, in delivery order. */
  available(now: number): StoredMessage[] {
    const lockedSeqs = new Set(this.locks.values());
    const lockedSessions = new Set<string>();
    for (const seq of lockedSeqs) {
      const s = this.messages.get(seq)?.sessionId;
      if (s !== undefined) lockedSessions.add(s);
    }
    const horizon = Math.min(...this.pending);
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

  /** Counts: messages waiting for their time, visible now, locked by a consumer. */
  counts(now: number): { scheduled: number; active: number; locked: number } {
    const lockedSeqs = new Set(this.locks.values());
    let scheduled = 0;
    let active = 0;
    for (const m of this.messages.values()) {
      if (lockedSeqs.has(m.sequenceNumber)) continue;
      if (Date.parse(m.scheduledEnqueueTimeUtc) > now) scheduled++;
      else active++;
    }
    return { scheduled, active, locked: lockedSeqs.size };
  }
}
