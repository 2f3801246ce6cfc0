/**
 * `npm start`'s demo path at the module level: startDemo runs in this process (port 0, its own queue directory)
 * and its summary is read back from the emulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostLogRecord } from '../../../src/local/host/formatLogRecord.js';
import { DEMO_THROTTLED_SERVER, startDemo, type RunningDemo } from '../../../src/local/demo/startDemo.js';

describe('Function: startDemo', () => {
  let dir: string;
  let demo: RunningDemo;
  const out: string[] = [];
  const logs: HostLogRecord[] = [];
  const envBefore = { ...process.env };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-'));
    demo = await startDemo({
      port: 0,
      out: (l) => out.push(l),
      log: (r) => logs.push(r),
      queueDir: join(dir, 'queue'),
      lroRetryAfterSeconds: 0,
    });
  }, 60_000);

  afterAll(async () => {
    await demo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives every target (servers, the managed instance, the database with its own key) the new key and switches every protector but the auto-rotation one', () => {
    const { servers, version } = demo.summary;

    expect(servers.map((s) => s.kind)).toEqual(['server', 'server', 'server', 'server', 'server', 'managedInstance', 'database']);
    expect(servers.every((s) => s.hasNewKey)).toBe(true);
    for (const s of servers) {
      if (s.autoRotation) expect(s.protector).toBe('contoso-tde_tde-key');
      else expect(s.protectorVersion, s.server).toBe(version);
    }
  });

  it('retries the throttled server through the backoff queue', () => {
    expect(demo.summary.throttled).toBeGreaterThan(0);
    const worker = logs.filter((l) => l.category === 'rotationWorker').map((l) => l.message);
    expect(worker.some((m) => m.includes(DEMO_THROTTLED_SERVER) && m.includes('"attempt":2'))).toBe(true);
    expect(demo.summary.deadLetters).toBe(0);
  });

  it('rotates the sync-agent key into a secret without printing it', () => {
    expect(demo.summary.syncAgents).toEqual([{ agent: 'contoso-sql-weu/contoso-sync-agent', keyGenerations: 1 }]);
    expect(demo.summary.secrets).toEqual([{ name: 'syncagent-contoso-sql-weu-contoso-sync-agent', versions: 1 }]);
    const key = [...demo.emulator.state.allServers()].flatMap((s) => [...s.syncAgents.values()])[0]!.currentKey!;
    expect([...out, ...logs.map((l) => l.message)].some((l) => l.includes(key))).toBe(false);
  });

  it('prints a readable summary and keeps the host running', async () => {
    expect(out.join('\n')).toMatch(/keys for the new version: 7 of 7 targets \(5 servers, 1 managed instance\(s\), 1 database\(s\) with their own key\)/);
    expect(out.join('\n')).toMatch(/contoso-mi-weu \(managed instance\)\s+yes\s+\S+\s+new version/);
    expect(out.join('\n')).toMatch(/contoso-sql-weu\/contoso-payments \(database key\)\s+yes\s+\S+\s+new version/);
    expect(out.join('\n')).not.toMatch(/"kind":/);
    const status = await (await fetch(`${demo.host.url}/admin/host/status`, { headers: { 'x-functions-key': demo.host.key } })).json();
    expect(status).toMatchObject({ state: 'Running' });
  });

  it('restores the environment when stopped', async () => {
    await demo.stop();

    expect(process.env['ROTATION_CONFIG']).toBe(envBefore['ROTATION_CONFIG']);
    expect(process.env['HTTPS_PROXY']).toBe(envBefore['HTTPS_PROXY']);
    expect(demo.host.state).toBe('Stopped');
  });
});
