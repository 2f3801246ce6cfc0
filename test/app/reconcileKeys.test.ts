import { describe, expect, it } from 'vitest';
import { reconcileKeys } from '../../src/app/reconcileKeys.js';
import { RotationError } from '../../src/domain/errors.js';
import { AUTO, KEY, PLAIN, PRIMARY, SECONDARY, V1, V3, keyName, protectorOn, reconcileFixture, standardEstate } from '../support/reconcileFixture.js';

describe('Function: reconcileKeys', () => {
  it('enqueues one reconcile item per target the reconciler would change, tagged with the run', async () => {
    // Prepare
    const f = reconcileFixture();
    standardEstate(f.sql);
    // AUTO drifts only by Azure's auto-rotation once it holds the key: no item for it.
    f.sql.addServer(AUTO, protectorOn(V1, true), { [keyName(V3)]: `${KEY}/${V3}` });

    // Act
    const result = await reconcileKeys(f.deps, { runId: 'run-1' });

    // Assess
    expect(result.enqueued).toBe(3);
    const common = { key: KEY, runId: 'run-1', attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'run-1' };
    expect(f.queue.scheduled.map((s) => s.item)).toEqual([
      { kind: 'reconcile', target: SECONDARY, ...common },
      { kind: 'reconcile', target: PRIMARY, ...common },
      { kind: 'reconcile', target: PLAIN, ...common },
    ]);
    expect(result.report.summary).toMatchObject({ servers: 4, drift: 4 });
    expect(f.notifications).toEqual([]);
  });

  it('enqueues nothing on a converged estate', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });

    const result = await reconcileKeys(f.deps, { runId: 'run-2' });

    expect(result.enqueued).toBe(0);
    expect(f.queue.scheduled).toEqual([]);
  });

  it('enqueues a target it could not read, for the worker to retry', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });
    f.sql.readFaults.failAlways(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    const result = await reconcileKeys(f.deps, { runId: 'run-3' });

    expect(result.enqueued).toBe(1);
    expect(f.queue.scheduled.map((s) => s.item.target)).toEqual([PLAIN]);
  });

  it('alerts critical drift once per target and still enqueues what drifts', async () => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });
    f.keys.update(`${KEY}/${V3}`, { enabled: false });

    // Act
    await reconcileKeys(f.deps, { runId: 'run-4' });

    // Assess
    expect(f.notifications).toHaveLength(1);
    expect(f.notifications[0]).toMatchObject({ kind: 'criticalDrift' });
    expect(JSON.stringify(f.notifications[0])).toContain(`${KEY}/${V3}`);
    expect(f.logger.lines.filter((l) => l.level === 'error').map((l) => l.properties)).toEqual([
      { server: PLAIN, key: KEY, code: 'AzureKeyVaultKeyDisabled', critical: true, runId: 'run-4' },
    ]);
    expect(f.queue.scheduled.map((s) => s.item.target)).toEqual([PLAIN]);
  });

  it('logs a key it cannot read and goes on', async () => {
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }] });
    f.sql.addServer(PLAIN, protectorOn(V1), {});
    f.keys.listFaults.failAlways(KEY, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    const result = await reconcileKeys(f.deps, { runId: 'run-5' });

    expect(result.enqueued).toBe(0);
    expect(f.logger.lines.filter((l) => l.level === 'error').map((l) => l.properties)).toEqual([{ key: KEY, code: 'ServiceUnavailable', runId: 'run-5' }]);
  });

  it('logs the sweep with its summary', async () => {
    const f = reconcileFixture();
    standardEstate(f.sql);

    await reconcileKeys(f.deps, { runId: 'run-6' });

    expect(f.logger.lines.filter((l) => l.level === 'info').at(-1)?.properties).toEqual({
      runId: 'run-6',
      servers: 4,
      current: 0,
      drift: 4,
      error: 0,
      critical: 0,
      enqueued: 4,
    });
  });
});
