/**
 * The embedded queue's dead-letter store: one record a file under `deadletter/` (queueLayout.ts), named by time and
 * sequence so that a listing is oldest first. Operators and tests read it; nothing is ever delivered from it.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from './atomicWriteFile.js';
import type { QueueLayout } from './queueLayout.js';
import { deadLetterRecordOf, parseDeadLetterRecord, type DeadLetterRecord, type StoredMessage } from './storedMessage.js';

export class DeadLetterStore {
  constructor(private readonly layout: QueueLayout) {}

  /** Writes one record under `sequence` (the message's, or a fresh one for a work item that never was a message). */
  async add(record: DeadLetterRecord, sequence: number): Promise<void> {
    await atomicWriteFile(this.layout.deadLetterFile(record.deadLetteredAt, sequence), JSON.stringify(record, null, 2));
  }

  /**
   * Moves a stored message in with a reason. The record is written before the message file goes, so a crash in
   * between duplicates and never loses.
   */
  async moveIn(m: StoredMessage, reason: string, description: string, at: Date): Promise<void> {
    await this.add(deadLetterRecordOf(m, reason, description, at), m.sequenceNumber);
    await rm(this.layout.messageFile(m), { force: true });
  }

  /** Every record, oldest first (files that are not records are passed over). */
  async list(): Promise<DeadLetterRecord[]> {
    const dir = this.layout.deadLetterDir;
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    const records = await Promise.all(names.map(async (n) => parseDeadLetterRecord(await readFile(join(dir, n), 'utf8'))));
    return records.filter((r): r is DeadLetterRecord => r !== undefined);
  }
}
