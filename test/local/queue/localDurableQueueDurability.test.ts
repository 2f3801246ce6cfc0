import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageIdFor, toQueueMessage } from '../../../src/app/queueMessage.js';
import { LocalDurableQueue, QUARANTINE_DIR } from '../../../src/local/queue/localDurableQueue.js';
import { leaveMessageFile, ManualClock, reconcileItem, T0 } from './queueFixtures.js';

describe('Class: LocalDurableQueue (durability)', () => {
  let dir: string;
  let clock: ManualClock;
  let warnings: string[];
  const open: LocalDurableQueue[] = [];

  async function openQueue(): Promise<LocalDurableQueue> {
    const q = await LocalDurableQueue.open({ dir, clock, onWarning: (w) => warnings.push(w) });
    open.push(q);
    return q;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-queue-durable-'));
    clock = new ManualClock(T0);
    warnings = [];
  });

  afterEach(async () => {
    for (const q of open.splice(0)) await q.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a message whose history entry a crash prevented, and still drops its duplicate', async () => {
    // Prepare: the message is on disk, the process died before writing its duplicate-detection entry
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    await q.close();
    await unlink(join(dir, 'seen', messageIdFor(reconcileItem())));

    // Act
    const reopened = await openQueue();
    const accepted = await reopened.send([toQueueMessage(reconcileItem())]);

    // Assess
    expect(accepted).toEqual([]);
    expect(reopened.peekAll().map((m) => m.messageId)).toEqual([messageIdFor(reconcileItem())]);
  });

  it('accepts the retry of a message whose write a crash interrupted before its rename', async () => {
    // Prepare: only the temp file of the message made it to disk, no history entry
    const id = messageIdFor(reconcileItem());
    await (await openQueue()).close();
    await writeFile(join(dir, 'messages', `000000000001-${id}.json.0b9e.tmp`), '{"messageId":');

    // Act
    const reopened = await openQueue();
    const accepted = await reopened.send([toQueueMessage(reconcileItem())]);

    // Assess
    expect(accepted).toEqual([id]);
    expect(await reopened.receive(10)).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('does not count an id as seen when its message could not be written', async () => {
    // Prepare: the messages folder is replaced by a file, so the message write fails
    const q = await openQueue();
    const id = messageIdFor(reconcileItem());
    await rm(join(dir, 'messages'), { recursive: true });
    await writeFile(join(dir, 'messages'), '');

    // Act
    const failed = await q.send([toQueueMessage(reconcileItem())]).catch((e: unknown) => e);
    await rm(join(dir, 'messages'));
    await mkdir(join(dir, 'messages'));
    const retried = await q.send([toQueueMessage(reconcileItem())]);

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(retried).toEqual([id]);
    expect(q.peekAll()).toHaveLength(1);
  });

  it('moves a torn message file to quarantine with a warning and starts with the others', async () => {
    // Prepare
    await leaveMessageFile(openQueue, dir, '000000000007-torn.json', '{"messageId":"torn","sequenceNu');

    // Act
    const reopened = await openQueue();

    // Assess
    expect(reopened.peekAll().map((m) => m.messageId)).toEqual([messageIdFor(reconcileItem())]);
    expect(await readdir(join(dir, QUARANTINE_DIR))).toEqual(['messages-000000000007-torn.json']);
    expect(await readdir(join(dir, 'messages'))).not.toContain('000000000007-torn.json');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/000000000007-torn\.json.*quarantine.*not valid JSON/);
  });

  it('moves a message file whose content does not match its name to quarantine', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    await q.close();
    const [name] = await readdir(join(dir, 'messages'));
    await writeFile(join(dir, 'messages', '000000000099-other.json'), await readFile(join(dir, 'messages', name!), 'utf8'));

    const reopened = await openQueue();

    expect(reopened.peekAll()).toHaveLength(1);
    expect(await readdir(join(dir, QUARANTINE_DIR))).toEqual(['messages-000000000099-other.json']);
  });

  it('moves a torn dead-letter file to quarantine and still lists the others', async () => {
    const q = await openQueue();
    await q.deadLetter(reconcileItem(), 'NotInConfig', 'server is not configured');
    await q.close();
    await writeFile(join(dir, 'deadletter', '000000000000001-000000000009.json'), '{"messa');

    const reopened = await openQueue();

    expect((await reopened.listDeadLetters()).map((d) => d.reason)).toEqual(['NotInConfig']);
    expect(warnings).toHaveLength(1);
  });

  it.skipIf(process.platform === 'win32')('writes queue and dead-letter files readable by the owner only', async () => {
    const q = await openQueue();
    await q.schedule([reconcileItem()]);
    await q.deadLetter(reconcileItem({ attempt: 2 }), 'NotInConfig', 'x');
    const files = [
      ...(await readdir(join(dir, 'messages'))).map((n) => join(dir, 'messages', n)),
      ...(await readdir(join(dir, 'seen'))).map((n) => join(dir, 'seen', n)),
      ...(await readdir(join(dir, 'deadletter'))).map((n) => join(dir, 'deadletter', n)),
    ];

    const modes = await Promise.all(files.map(async (f) => (await stat(f)).mode & 0o777));

    expect(files).toHaveLength(3);
    expect(modes).toEqual([0o600, 0o600, 0o600]);
  });
});
