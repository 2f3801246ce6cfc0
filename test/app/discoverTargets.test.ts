import { describe, expect, it } from 'vitest';
import { discoverTargets } from '../../src/app/discoverTargets.js';
import { RotationError } from '../../src/domain/errors.js';
import type { DiscoverWorkItem } from '../../src/domain/workItem.js';
import { KEY, PLAIN, SCOPE, SUB, V1, keyName, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

const FOUND = `${SUB}/sql-found`;
const ALSO_FOUND = `${SUB}/sql-also-found`;
const OTHER_KEY = `${SUB}/sql-other-key`;

function discoverItem(fields: Partial<DiscoverWorkItem> = {}): DiscoverWorkItem {
  return { kind: 'discover', key: KEY, target: SCOPE, attempt: 1, firstSeen: '2026-05-31T00:00:00Z', correlationId: 'evt-9', ...fields };
}

/** A scope holding a configured server, two servers on the key and one on another key. */
function discoveryFixture() {
  const f = reconcileFixture({
    servers: [{ id: PLAIN, switchProtector: true }],
    discovery: { scopes: [SCOPE], switchProtector: false },
    directory: [PLAIN, FOUND, OTHER_KEY, ALSO_FOUND],
  });
  f.sql
    .addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` })
    .addServer(FOUND, protectorOn(V1), {})
    .addServer(ALSO_FOUND, protectorOn(undefined), {})
    .addServer(OTHER_KEY, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});
  return f;
}

const SERVICE_UNAVAILABLE = (): RotationError => new RotationError('ServiceUnavailable', 'retriable', 'arm down', { details: { statusCode: 503 } });

describe('Function: discoverTargets', () => {
  it('enqueues one reconcile item per server of the scope on the key, configured ones left to their own items', async () => {
    // Prepare
    const f = discoveryFixture();

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem({ versionHint: 'a'.repeat(32), runId: 'run-1' }));

    // Assess
    expect(outcome).toEqual({ kind: 'skipped', target: SCOPE, reason: 'discovery enqueued 2 target(s)' });
    expect(f.queue.scheduled.map((s) => s.item)).toEqual([
      { kind: 'reconcile', key: KEY, target: FOUND, versionHint: 'a'.repeat(32), runId: 'run-1', attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-9' },
      { kind: 'reconcile', key: KEY, target: ALSO_FOUND, versionHint: 'a'.repeat(32), runId: 'run-1', attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-9' },
    ]);
    expect(f.sql.writes).toEqual([]);
    expect(f.logger.lines.filter((l) => l.level === 'info').map((l) => l.properties)).toEqual([
      expect.objectContaining({ kind: 'discover', scope: SCOPE, key: KEY, found: 2, unreadable: 0 }),
    ]);
  });

  it('passes on neither a hint nor a run id when the discovery item has none', async () => {
    // Prepare
    const f = discoveryFixture();

    // Act
    await discoverTargets(f.deps, discoverItem());

    // Assess: no such property at all, not even an undefined one
    expect(f.queue.scheduled.map((s) => s.item)).toStrictEqual([
      { kind: 'reconcile', key: KEY, target: FOUND, attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-9' },
      { kind: 'reconcile', key: KEY, target: ALSO_FOUND, attempt: 1, firstSeen: f.clock.now().toISOString(), correlationId: 'evt-9' },
    ]);
  });

  it('does not call on the queue when it has nothing to enqueue', async () => {
    // Prepare: the queue would fail
    const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: false }, directory: [OTHER_KEY] });
    f.sql.addServer(OTHER_KEY, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});
    f.queue.failNext();

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem());

    // Assess
    expect(outcome).toMatchObject({ kind: 'skipped', target: SCOPE });
    expect(f.failures.deadLetters).toEqual([]);
  });

  it('enqueues nothing, and says so, when no server of the scope is on the key', async () => {
    const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: false }, directory: [OTHER_KEY] });
    f.sql.addServer(OTHER_KEY, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});

    const outcome = await discoverTargets(f.deps, discoverItem());

    expect(outcome).toEqual({ kind: 'skipped', target: SCOPE, reason: 'discovery enqueued 0 target(s)' });
    expect(f.queue.scheduled).toEqual([]);
  });

  it.each([
    ['a scope the key does not list', discoverItem({ target: `${SCOPE}-elsewhere` })],
    ['a key that is not configured', discoverItem({ key: 'https://evil-vault.vault.azure.net/keys/tde-key' })],
  ])('dead-letters %s as NotInConfig without listing anything', async (_label, item) => {
    const f = discoveryFixture();
    f.deps.servers.faults.failAlways(SCOPE, new Error('the directory must not be read'));

    const outcome = await discoverTargets(f.deps, item);

    expect(outcome).toMatchObject({ kind: 'failed', code: 'NotInConfig' });
    expect(f.failures.deadLetters.map((d) => d.reason)).toEqual(['NotInConfig']);
    expect(f.queue.scheduled).toEqual([]);
  });

  it('dead-letters a key configured without discovery as NotInConfig', async () => {
    // Prepare
    const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: true }], directory: [PLAIN, FOUND] });

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem());

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', code: 'NotInConfig' });
    expect(f.queue.scheduled).toEqual([]);
  });

  it.each([
    ['listing the scope', (f: ReturnType<typeof discoveryFixture>, bug: Error) => f.deps.servers.faults.failNext(SCOPE, bug)],
    ['reading a protector', (f: ReturnType<typeof discoveryFixture>, bug: Error) => f.sql.readFaults.failNext(FOUND, bug)],
  ])('dead-letters a bug while %s as an UnexpectedError naming the discovery', async (_label, inject) => {
    // Prepare
    const f = discoveryFixture();
    inject(f, new TypeError("Cannot read properties of undefined (reading 'id')"));

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem());

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', code: 'UnexpectedError' });
    expect(f.failures.deadLetters.map((d) => d.description)).toEqual([expect.stringContaining('discovery')]);
  });

  it('schedules a retry of the discovery when the scope cannot be listed, and enqueues nothing', async () => {
    // Prepare
    const f = discoveryFixture();
    f.deps.servers.faults.failNext(SCOPE, SERVICE_UNAVAILABLE());

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem());

    // Assess
    expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
    expect(f.queue.scheduled.map((s) => s.item)).toEqual([expect.objectContaining({ kind: 'discover', target: SCOPE, attempt: 2 })]);
    expect(f.failures.deadLetters).toEqual([]);
  });

  it('enqueues the servers it could read and retries the scope when one protector cannot be read', async () => {
    // Prepare
    const f = discoveryFixture();
    f.sql.readFaults.failNext(FOUND, SERVICE_UNAVAILABLE());

    // Act
    const outcome = await discoverTargets(f.deps, discoverItem());

    // Assess
    expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
    expect(f.queue.scheduled.map((s) => `${s.item.kind} ${s.item.target} ${s.item.attempt}`)).toEqual([`reconcile ${ALSO_FOUND} 1`, `discover ${SCOPE} 2`]);
    expect(f.failures.deadLetters).toEqual([]);
    expect(f.logger.lines.filter((l) => l.level === 'info').map((l) => l.properties)).toEqual([expect.objectContaining({ found: 1, unreadable: 1 })]);
  });
});
