/**
 * Start-up of the embedded queue: reads back what a previous process left in the directory. Temp files of
 * interrupted writes are removed (the previous state is still on disk); a file that cannot be read as what its
 * folder holds (torn, corrupted, misnamed) is moved to `quarantine/` with a warning instead of blocking start-up;
 * expired duplicate-detection entries are dropped.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PRIVATE_DIR_MODE, TEMP_SUFFIX } from './atomicWriteFile.js';
import { QueueLayout } from './queueLayout.js';
import { parseDeadLetterRecord, parseStoredMessage, type StoredMessage } from './storedMessage.js';

/** What the queue holds after start-up. */
export interface RecoveredQueue {
  readonly messages: Map<number, StoredMessage>;
  /** messageId -> first-seen time (ms), within the duplicate detection window. */
  readonly seen: Map<string, number>;
  readonly nextSequence: number;
}

export async function recoverQueueDirectory(
  layout: QueueLayout,
  options: { readonly now: number; readonly duplicateWindowMs: number; readonly warn: (message: string) => void },
): Promise<RecoveredQueue> {
  const messages = new Map<number, StoredMessage>();
  const seen = new Map<string, number>();
  let nextSequence = 1;
  const markSeen = (id: string, at: number): void => {
    if (options.now - at < options.duplicateWindowMs) seen.set(id, Math.max(seen.get(id) ?? 0, at));
  };
  const quarantine = async (file: string, reason: string): Promise<void> => {
    await mkdir(layout.quarantineDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const name = relative(layout.dir, file).replace(/[\\/]/g, '-');
    const target = join(layout.quarantineDir, name);
    await rename(file, target);
    options.warn(`local queue: moved ${file} to ${target}: ${reason}`);
  };

  for (const name of (await readdir(layout.messagesDir)).sort()) {
    const file = join(layout.messagesDir, name);
    if (name.endsWith(TEMP_SUFFIX)) {
      await rm(file, { force: true });
      continue;
    }
    const parsed = parseStoredMessage(await readFile(file, 'utf8'));
    if (!parsed.ok) {
      await quarantine(file, parsed.reason);
      continue;
    }
    const m = parsed.message;
    if (layout.messageFile(m) !== file || messages.has(m.sequenceNumber)) {
      await quarantine(file, `its name does not match its sequence number ${m.sequenceNumber} and id ${m.messageId}`);
      continue;
    }
    messages.set(m.sequenceNumber, m);
    nextSequence = Math.max(nextSequence, m.sequenceNumber + 1);
    // The message itself marks its id as seen: its history entry may not have been written before a crash.
    markSeen(m.messageId, Date.parse(m.enqueuedTimeUtc));
  }

  for (const name of await readdir(layout.deadLetterDir)) {
    const file = join(layout.deadLetterDir, name);
    if (name.endsWith(TEMP_SUFFIX)) {
      await rm(file, { force: true });
      continue;
    }
    if (parseDeadLetterRecord(await readFile(file, 'utf8')) === undefined) {
      await quarantine(file, 'not a dead-letter record (torn or corrupted)');
      continue;
    }
    nextSequence = Math.max(nextSequence, QueueLayout.deadLetterSequence(name) + 1);
  }

  for (const id of await readdir(layout.seenDir)) {
    const file = join(layout.seenDir, id);
    const at = id.endsWith(TEMP_SUFFIX) ? Number.NaN : Date.parse(await readFile(file, 'utf8'));
    if (Number.isNaN(at) || options.now - at >= options.duplicateWindowMs) await rm(file, { force: true });
    else markSeen(id, at);
  }
  return { messages, seen, nextSequence };
}
