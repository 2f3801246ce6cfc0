/**
 * One process owns a queue directory at a time. The lock file (`owner.lock`) records who owns it: PID, process
 * start time and boot id (see processIdentity.ts), so that a PID reused after a container restart is not taken
 * for the owner.
 *
 * - Create: the record is written to a temp file first, then hard-linked to `owner.lock`. A link fails when the
 *   name exists, so creation is atomic and a reader never sees a half-written lock.
 * - Takeover of a stale lock (owner dead, or content unreadable): the taker first claims that exact lock content
 *   by creating `owner.lock.takeover-{hash of the stale content}` (atomic, one winner), checks that `owner.lock`
 *   still holds the stale content, and renames its own record over it. Only the claimant of the current content
 *   may replace `owner.lock`, and nobody can create it while it exists, so two processes never both own the
 *   directory. A claimant that died mid-takeover is itself stale: the next taker claims
 *   `...takeover-{hash}-{hash of the dead claimant}`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, TEMP_SUFFIX, writeDurably } from './atomicWriteFile.js';
import { currentProcessIdentity, livenessOf, type ProcessIdentity } from './processIdentity.js';

/** Name of the lock file inside the directory. */
export const LOCK_FILE = 'owner.lock';
const CLAIM_PREFIX = `${LOCK_FILE}.takeover-`;
const MAX_ATTEMPTS = 50;
/** Age after which a temp lock record is left over from a crash, not part of an acquisition under way. */
const STALE_TEMP_MS = 60_000;

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

/** What `owner.lock` holds. */
export interface LockRecord extends ProcessIdentity {
  /** Unique per acquisition: tells this lock from a later one by the same process. */
  readonly token: string;
  readonly acquiredAt: string;
}

/** An acquired directory lock. */
export class DirectoryLock {
  private released = false;

  private constructor(
    readonly dir: string,
    readonly record: LockRecord,
  ) {}

  /**
   * Acquires `dir` (which must exist) for this process, taking over a lock whose owner is gone.
   * @throws QueueDirectoryInUseError when a live process owns it (this one included, through another queue).
   */
  static async acquire(dir: string, self: ProcessIdentity = currentProcessIdentity()): Promise<DirectoryLock> {
    const record: LockRecord = { ...self, token: randomUUID(), acquiredAt: new Date().toISOString() };
    const lockFile = join(dir, LOCK_FILE);
    const mine = join(dir, `${LOCK_FILE}.${record.token}${TEMP_SUFFIX}`);
    await writeDurably(mine, JSON.stringify(record), 'wx');
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50, 2 * attempt)));
        if (await linkIfAbsent(mine, lockFile)) return await DirectoryLock.acquired(dir, record);
        const current = await readRaw(lockFile);
        if (current === undefined) continue; // released meanwhile: create again
        const owner = parseLockRecord(current);
        if (owner !== undefined && isLive(owner, self)) throw new QueueDirectoryInUseError(dir, owner.pid);
        if (await takeOver(dir, current, mine, self)) return await DirectoryLock.acquired(dir, record);
      }
      throw new Error(`could not acquire ${lockFile}: other processes keep changing it`);
    } finally {
      await unlink(mine).catch(() => undefined);
    }
  }

  private static async acquired(dir: string, record: LockRecord): Promise<DirectoryLock> {
    await syncDirectory(dir);
    // Claims on earlier stale contents are moot now (their takers find `owner.lock` changed and give up). Temp
    // records of acquisitions that crashed are removed once old enough not to belong to one under way.
    const now = Date.now();
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (name.startsWith(CLAIM_PREFIX)) await unlink(file).catch(() => undefined);
      else if (name.startsWith(`${LOCK_FILE}.`) && name.endsWith(TEMP_SUFFIX)) {
        const modified = (await stat(file).catch(() => undefined))?.mtimeMs;
        if (modified !== undefined && now - modified > STALE_TEMP_MS) await unlink(file).catch(() => undefined);
      }
    }
    return new DirectoryLock(dir, record);
  }

  /** Removes the lock file if it is still this lock (a later owner's lock is left alone). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const lockFile = join(this.dir, LOCK_FILE);
    const current = parseLockRecord((await readRaw(lockFile)) ?? '');
    if (current?.token !== this.record.token) return;
    await unlink(lockFile).catch(() => undefined);
    await syncDirectory(this.dir).catch(() => undefined);
  }
}

/**
 * Parses a lock file: the JSON record, or a bare PID (the format of earlier versions). Undefined when torn or
 * unreadable, which makes the lock stale: creation is atomic, so a live owner's lock is always whole.
 */
export function parseLockRecord(raw: string): (ProcessIdentity & { readonly token?: string }) | undefined {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const o = JSON.parse(text) as Partial<LockRecord> | null;
    if (typeof o !== 'object' || o === null || typeof o.pid !== 'number' || !Number.isInteger(o.pid)) return undefined;
    return {
      pid: o.pid,
      ...(typeof o.startTime === 'string' ? { startTime: o.startTime } : {}),
      ...(typeof o.bootId === 'string' ? { bootId: o.bootId } : {}),
      ...(typeof o.token === 'string' ? { token: o.token } : {}),
    };
  } catch {
    return undefined;
  }
}

function isLive(owner: ProcessIdentity, self: ProcessIdentity): boolean {
  // A record without start time naming this very PID was not written by this process (which records its start
  // time where the platform has one): the PID was reused.
  if (owner.pid === self.pid && owner.startTime === undefined && self.startTime !== undefined) return false;
  return livenessOf(owner, self) === 'alive';
}

/** Replaces the stale lock whose content is `stale` with `mine`; false when someone else got there first. */
async function takeOver(dir: string, stale: string, mine: string, self: ProcessIdentity): Promise<boolean> {
  const lockFile = join(dir, LOCK_FILE);
  let claim = join(dir, `${CLAIM_PREFIX}${digest(stale)}`);
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_ATTEMPTS) return false;
    if (await linkIfAbsent(mine, claim)) break;
    const claimant = await readRaw(claim);
    if (claimant === undefined) continue; // cleaned up meanwhile: claim again
    const who = parseLockRecord(claimant);
    if (who !== undefined && isLive(who, self)) return false; // a live process is taking over: let it
    claim = `${claim}-${digest(claimant)}`;
  }
  try {
    // Only the holder of a claim on the current content may replace `owner.lock`, so this check cannot go stale
    // before the rename.
    if ((await readRaw(lockFile)) !== stale) return false;
    await rename(mine, lockFile);
    return true;
  } finally {
    await unlink(claim).catch(() => undefined);
  }
}

async function linkIfAbsent(existing: string, name: string): Promise<boolean> {
  try {
    await link(existing, name);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readRaw(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
