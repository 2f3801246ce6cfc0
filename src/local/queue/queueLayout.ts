/**
 * Where the embedded queue keeps what, under its directory:
 * `messages/{sequence}-{messageId}.json` (one file per message), `seen/{messageId}` (duplicate detection history,
 * content = first-seen time), `deadletter/{time}-{sequence}.json`, `quarantine/` (files that could not be read at
 * start-up, kept for a person to look at) and `owner.lock`.
 */
import { join } from 'node:path';
import type { StoredMessage } from './storedMessage.js';

/** Sub-directory where unreadable files are moved at start-up. */
export const QUARANTINE_DIR = 'quarantine';

export class QueueLayout {
  constructor(readonly dir: string) {}

  get messagesDir(): string {
    return join(this.dir, 'messages');
  }
  get seenDir(): string {
    return join(this.dir, 'seen');
  }
  get deadLetterDir(): string {
    return join(this.dir, 'deadletter');
  }
  get quarantineDir(): string {
    return join(this.dir, QUARANTINE_DIR);
  }

  messageFile(m: Pick<StoredMessage, 'sequenceNumber' | 'messageId'>): string {
    return join(this.messagesDir, `${String(m.sequenceNumber).padStart(12, '0')}-${m.messageId}.json`);
  }

  seenFile(messageId: string): string {
    return join(this.seenDir, messageId);
  }

  deadLetterFile(deadLetteredAt: string, sequence: number): string {
    return join(this.deadLetterDir, `${String(Date.parse(deadLetteredAt)).padStart(15, '0')}-${String(sequence).padStart(12, '0')}.json`);
  }

  /** Sequence number in a dead-letter file name, 0 when there is none. */
  static deadLetterSequence(name: string): number {
    return Number(/-(\d+)\.json$/.exec(name)?.[1] ?? 0);
  }
}
