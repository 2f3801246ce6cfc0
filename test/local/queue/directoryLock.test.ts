import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryLock, LOCK_FILE, QueueDirectoryInUseError } from '../../../src/local/queue/directoryLock.js';
import { LocalDurableQueue } from '../../../src/local/queue/localDurableQueue.js';
import { currentProcessIdentity } from '../../../src/local/queue/processIdentity.js';

const self = currentProcessIdentity();
const linuxIdentity = self.startTime !== undefined;

describe('Class: DirectoryLock', () => {
  let dir: string;
  const held: DirectoryLock[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dir-lock-'));
  });

  afterEach(async () => {
    for (const l of held.splice(0)) await l.release();
    await rm(dir, { recursive: true, force: true });
  });

  const acquire = async (): Promise<DirectoryLock> => {
    const lock = await DirectoryLock.acquire(dir);
    held.push(lock);
    return lock;
  };
  const lockContent = async () => JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;

  it('records PID, process start time and boot id', async () => {
    const lock = await acquire();

    expect(await lockContent()).toMatchObject({ ...self, pid: process.pid, token: lock.record.token });
  });

  it('refuses a directory a live process owns, this one included', async () => {
    await acquire();

    await expect(DirectoryLock.acquire(dir)).rejects.toBeInstanceOf(QueueDirectoryInUseError);
  });

  it.runIf(linuxIdentity)('takes over a lock whose PID is alive but names another process (PID reused)', async () => {
    // Prepare: this process's PID, but a process that started at another time (a container restart reuses PIDs)
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...self, startTime: '1', token: 'old', acquiredAt: '' }));

    // Act
    const lock = await acquire();

    // Assess
    expect((await lockContent())['token']).toBe(lock.record.token);
  });

  it.runIf(self.bootId !== undefined)('takes over a lock written before the machine rebooted', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...self, bootId: 'another-boot', token: 'old', acquiredAt: '' }));

    const lock = await acquire();

    expect((await lockContent())['token']).toBe(lock.record.token);
  });

  it.runIf(linuxIdentity)('takes over a bare-PID lock of an earlier version that names this PID', async () => {
    await writeFile(join(dir, LOCK_FILE), String(process.pid));

    const lock = await acquire();

    expect((await lockContent())['token']).toBe(lock.record.token);
  });

  it('takes over a lock whose process is gone, and a torn lock', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, token: 'old', acquiredAt: '' }));
    const first = await acquire();
    await first.release();
    await writeFile(join(dir, LOCK_FILE), '{"pid":12');

    const second = await acquire();

    expect((await lockContent())['token']).toBe(second.record.token);
  });

  it('lets exactly one of many concurrent takers own a directory with a stale lock (repeated)', async () => {
    for (let round = 0; round < 20; round++) {
      // Prepare
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, token: `stale-${round}`, acquiredAt: '' }));

      // Act
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => DirectoryLock.acquire(dir)));

      // Assess
      const winners = results.filter((r): r is PromiseFulfilledResult<DirectoryLock> => r.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected').map((r) => (r).reason as Error);
      expect(winners).toHaveLength(1);
      expect(losers.every((e) => e instanceof QueueDirectoryInUseError)).toBe(true);
      expect((await lockContent())['token']).toBe(winners[0]!.value.record.token);
      expect((await readdir(dir)).filter((n) => n !== LOCK_FILE)).toEqual([]);
      await winners[0]!.value.release();
    }
  });

  it('removes temp records left by a crashed acquisition once they are old, and leaves recent ones', async () => {
    const old = join(dir, `${LOCK_FILE}.crashed.tmp`);
    const recent = join(dir, `${LOCK_FILE}.under-way.tmp`);
    await writeFile(old, '{}');
    await writeFile(recent, '{}');
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(old, longAgo, longAgo);

    await acquire();

    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE, `${LOCK_FILE}.under-way.tmp`]);
  });

  it('leaves alone, on release, a lock that another process took over', async () => {
    const lock = await acquire();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...self, token: 'someone-else', acquiredAt: '' }));

    await lock.release();

    expect((await lockContent())['token']).toBe('someone-else');
  });

  it('is what a queue holds while open and gives back on close', async () => {
    const q = await LocalDurableQueue.open({ dir });
    const whileOpen = await readdir(dir);
    await q.close();

    expect(whileOpen).toContain(LOCK_FILE);
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
  });
});
