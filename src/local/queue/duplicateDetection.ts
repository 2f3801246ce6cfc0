/**
 * Service Bus duplicate detection for the embedded queue: a messageId seen within the window is a duplicate. An id
 * counts as seen only once its message is on disk; while its write is under way, a second send of the same id
 * waits for the outcome (a failed write leaves the id unseen, so the sender's retry is accepted).
 */
export class DuplicateDetection {
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly seen: Map<string, number>,
    private readonly windowMs: number,
  ) {}

  /**
   * Runs `write` unless `messageId` is a duplicate at `now` (ms); true when it ran. Waits first for a write of the
   * same id under way (same batch or a concurrent send): its outcome decides. `write` calls {@link markSeen} once
   * the message is on disk.
   */
  async storeUnlessDuplicate(messageId: string, now: number, write: () => Promise<void>): Promise<boolean> {
    for (let pending = this.writing.get(messageId); pending !== undefined; pending = this.writing.get(messageId)) {
      await pending.catch(() => undefined);
    }
    // From here to `set` nothing awaits, so no other send of this id can pass the check meanwhile.
    const at = this.seen.get(messageId);
    if (at !== undefined && now - at < this.windowMs) return false;
    const done = write();
    this.writing.set(messageId, done);
    try {
      await done;
    } finally {
      this.writing.delete(messageId);
    }
    return true;
  }

  /** Marks `messageId` as seen at `at` (ms): its message is on disk. */
  markSeen(messageId: string, at: number): void {
    this.seen.set(messageId, at);
  }
}
