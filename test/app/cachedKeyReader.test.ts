import { describe, expect, it } from 'vitest';
import { CachedKeyReader } from '../../src/app/cachedKeyReader.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { FakeClock } from '../support/fakes/fakeClock.js';
import { FakeKeyReader } from '../support/fakes/fakeKeyReader.js';
import { KEY, V1, V2, keyVersion } from '../support/reconcileFixture.js';

function setup(ttlMs?: number) {
  const inner = new FakeKeyReader().add(keyVersion(V1, '2026-01-01T00:00:00Z')).add(keyVersion(V2, '2026-03-01T00:00:00Z'));
  const clock = new FakeClock('2026-06-01T00:00:00Z');
  const cached = ttlMs === undefined ? new CachedKeyReader(inner, clock) : new CachedKeyReader(inner, clock, ttlMs);
  return { inner, clock, cached };
}

describe('Class: CachedKeyReader', () => {
  it('reads a version once within the minute, then again', async () => {
    // Prepare
    const { inner, clock, cached } = setup();
    const v1 = parseKeyId(`${KEY}/${V1}`);

    // Act
    await cached.getKey(v1);
    clock.advance(59_999);
    const second = await cached.getKey(v1);
    const readsWithinTtl = inner.reads;
    inner.update(`${KEY}/${V1}`, { enabled: false });
    clock.advance(1);
    const third = await cached.getKey(v1);

    // Assess
    expect(readsWithinTtl).toBe(1);
    expect(second.enabled).toBe(true);
    expect(inner.reads).toBe(2);
    expect(third.enabled).toBe(false);
  });

  it('keeps versions apart', async () => {
    const { inner, cached } = setup();

    const a = await cached.getKey(parseKeyId(`${KEY}/${V1}`));
    const b = await cached.getKey(parseKeyId(`${KEY}/${V2}`));

    expect([a.version, b.version]).toEqual([V1, V2]);
    expect(inner.reads).toBe(2);
  });

  it('always asks for the latest version (a versionless read)', async () => {
    const { inner, cached } = setup();

    await cached.getKey(parseKeyId(KEY));
    await cached.getKey(parseKeyId(KEY));

    expect(inner.reads).toBe(2);
  });

  it('does not remember a failed read', async () => {
    const { inner, cached } = setup();
    const v1 = parseKeyId(`${KEY}/${V1}`);
    inner.faults.failNext(v1.id, new RotationError('ServiceUnavailable', 'retriable', 'down'));

    await expect(cached.getKey(v1)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    const again = await cached.getKey(v1);

    expect(again.version).toBe(V1);
    expect(inner.reads).toBe(2);
  });

  it('takes its time to live from the caller', async () => {
    const { inner, clock, cached } = setup(1_000);
    const v1 = parseKeyId(`${KEY}/${V1}`);

    await cached.getKey(v1);
    clock.advance(1_000);
    await cached.getKey(v1);

    expect(inner.reads).toBe(2);
  });

  it('never caches the listing', async () => {
    const { inner, cached } = setup();
    const key = parseKeyId(KEY);

    expect((await cached.listVersions(key)).map((v) => v.version)).toEqual([V1, V2]);
    inner.listFaults.failNext(key.versionlessId, new RotationError('ServiceUnavailable', 'retriable', 'down'));
    await expect(cached.listVersions(key)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });
});
