/**
 * Start-up of the embedded queue, up to the point where it can serve: the directory and its folders created
 * owner-only, the directory lock taken (directoryLock.ts), and what a previous process left read back
 * (recoverQueueDirectory.ts). A failure after the lock was taken releases it, so a queue that could not open
 * leaves the directory free.
 */
import { mkdir } from 'node:fs/promises';
import { PRIVATE_DIR_MODE } from './atomicWriteFile.js';
import { DirectoryLock } from './directoryLock.js';
import type { QueueLayout } from './queueLayout.js';
import { recoverQueueDirectory, type RecoveredQueue } from './recoverQueueDirectory.js';

/** The queue directory, owned by this process until `lock` is released, and what it held. */
export interface OpenedQueueDirectory {
  readonly lock: DirectoryLock;
  readonly recovered: RecoveredQueue;
}

export async function openQueueDirectory(
  layout: QueueLayout,
  recovery: Parameters<typeof recoverQueueDirectory>[1],
): Promise<OpenedQueueDirectory> {
  await mkdir(layout.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const lock = await DirectoryLock.acquire(layout.dir);
  try {
    await Promise.all(
      [layout.messagesDir, layout.seenDir, layout.deadLetterDir].map((d) => mkdir(d, { recursive: true, mode: PRIVATE_DIR_MODE })),
    );
    return { lock, recovered: await recoverQueueDirectory(layout, recovery) };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
