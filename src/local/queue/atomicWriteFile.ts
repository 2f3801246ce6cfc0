/**
 * Crash-safe file writes for the embedded queue: the content goes to a temp file in the same directory, is
 * flushed to disk, renamed over the target, and the directory entry is flushed too. After a crash the target holds
 * either its previous content or the new one, never a mix, and a write the caller was told of survives a power
 * loss. Files are created readable by the owner only (queue messages and dead letters are operational data).
 */
import { randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Suffix of the temp files a write leaves behind when interrupted before its rename. */
export const TEMP_SUFFIX = '.tmp';

/** Writes `content` to `file` atomically and durably (temp file, fsync, rename, fsync of the directory). */
export async function atomicWriteFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}${TEMP_SUFFIX}`;
  await writeDurably(tmp, content, 'wx');
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(file));
}

/** Creates (or, with flag `w`, replaces) `file` with `content` and flushes it to disk before returning. */
export async function writeDurably(file: string, content: string, flag: 'w' | 'wx'): Promise<void> {
  const handle = await open(file, flag, PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes a directory's entries (a rename, a new or removed file) to disk. Windows cannot open a directory for
 * this; there NTFS journals the metadata itself, so the step is skipped.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
