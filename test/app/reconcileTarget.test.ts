import { describe, expect, it } from 'vitest';
import { reconcileTarget } from '../../src/app/reconcileTarget.js';
import { RotationError } from '../../src/domain/errors.js';
import {
  AUTO,
  KEY,
  PLAIN,
  PRIMARY,
  SCOPE,
  SECONDARY,
  SUB,
  V1,
  V2,
  V3,
  item,
  keyName,
  keyVersion,
  protectorOn,
  reconcileFixture,
  standardEstate,
} from '../support/reconcileFixture.js';

describe('Function: reconcileTarget', () => {
  describe('converging', () => {
    it('adds the newest allowed version and switches an opted-in protector to it, whatever version the item names', async () => {
      // Prepare
      const f = reconcileFixture();
      standardEstate(f.sql);
      // Act: the event named V2, but V3 exists and is allowed
      const outcome = await reconcileTarget(f.deps, item(PLAIN, { versionHint: V2 }));
      // Assess
      expect(outcome.kind).toBe('rotated');
      expect(f.sql.keys(PLAIN)).toContain(keyName(V3));
      expect(f.sql.keys(PLAIN)).not.toContain(keyName(V2));
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V3));
    });

    it('passes over a newer version Azure would refuse (disabled, EC, 4096 bits, expired) and says so in an error line', async () => {
      const f = reconcileFixture({
        versions: [
          keyVersion(V1, '2026-01-01T00:00:00Z'),
          keyVersion(V2, '2026-03-01T00:00:00Z'),
          keyVersion(V3, '2026-05-01T00:00:00Z', { keyType: 'EC' }),
        ],
      });
      standardEstate(f.sql);

      await reconcileTarget(f.deps, item(PLAIN, { versionHint: V3 }));

      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
      expect(f.sql.keys(PLAIN)).not.toContain(keyName(V3));
      expect(f.logger.lines.some((l) => l.level === 'error' && l.message.includes(`Key version ${V3} refused (AzureKeyVaultRsaKeyNotSupported)`))).toBe(true);
    });

    it('treats a disabled version reported as 403 KeyDisabled like enabled: false', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.keys.faults.failAlways(`${KEY}/${V3}`, new RotationError('Forbidden', 'terminal', 'Operation get is not allowed on a disabled key.', { details: { statusCode: 403 } }));

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    });

    it('does nothing on a converged target: no write, outcome skipped', async () => {
      const f = reconcileFixture();
      f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });

      const outcome = await reconcileTarget(f.deps, item(PLAIN, { versionHint: V1 }));

      expect(outcome.kind).toBe('skipped');
      expect(f.sql.writes).toEqual([]);
    });

    it('never moves a protector backwards: a newer version in place stays', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z'), keyVersion(V3, '2026-05-01T00:00:00Z', { enabled: false })] });
      f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V3));
      expect(f.sql.writes.filter((w) => w.op === 'setProtector')).toEqual([]);
      expect(outcome.kind).toBe('rotated');
      if (outcome.kind === 'rotated') expect(outcome.detail).toContain(`protector keeps version ${V3}, which is newer`);
    });

    it('moves on from a protector whose version was deleted from the vault', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V2, '2026-03-01T00:00:00Z')] });
      f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    });

    it('leaves a versionless protector versionless and reports that it follows the newest version', async () => {
      const f = reconcileFixture();
      f.sql.addServer(PLAIN, protectorOn(undefined), {});

      const outcome = await reconcileTarget(f.deps, item(PLAIN, { versionHint: V3 }));

      expect(f.sql.protector(PLAIN).uri).toBe(KEY);
      expect(f.sql.writes.filter((w) => w.op === 'setProtector')).toEqual([]);
      expect(JSON.stringify(outcome)).toContain('follows the newest version');
    });

    it('adds the key but leaves the protector to Azure when auto-rotation is on', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);

      const outcome = await reconcileTarget(f.deps, item(AUTO));

      expect(f.sql.keys(AUTO)).toContain(keyName(V3));
      expect(f.sql.protector(AUTO).serverKeyName).toBe(keyName(V1));
      expect(JSON.stringify(outcome)).toContain('auto-rotation');
    });

    it('only adds the key where the config does not opt in to switching', async () => {
      const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: false }] });
      f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.sql.keys(PLAIN)).toContain(keyName(V3));
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V1));
    });

    it('converges again when a newer allowed version appears while it switches', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z')] });
      f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });
      const original = f.sql.setEncryptionProtector.bind(f.sql);
      let first = true;
      f.sql.setEncryptionProtector = async (...args) => {
        await original(...args);
        if (first) f.keys.add(keyVersion(V3, '2026-05-01T00:00:00Z'));
        first = false;
      };

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V3));
      expect(f.sql.writes.map((w) => `${w.op}:${w.name.slice(-4)}`)).toEqual(['upsertKey:2222', 'setProtector:2222', 'upsertKey:3333', 'setProtector:3333']);
    });

    it('takes Azure refusing an older protector (OldGenerationOfAKVKeyBeingUsedError) as "a newer version is in place"', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.protectorFaults.failNext(PLAIN, new RotationError('OldGenerationOfAKVKeyBeingUsedError', 'terminal', 'older generation', { details: { statusCode: 400 } }));

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome.kind).toBe('rotated');
      expect(f.failures.deadLetters).toEqual([]);
      expect(JSON.stringify(outcome)).toContain('newer version in place');
      // ... and the item ends there: no second attempt at the switch Azure refused.
      expect(f.sql.writes.filter((w) => w.op === 'setProtector')).toEqual([]);
    });

    it('adds the key and ends the item when the protector does not move: a version created meanwhile waits for its own trigger', async () => {
      // Prepare: V4 appears while the auto-rotation server gets V3's key
      const f = reconcileFixture();
      standardEstate(f.sql);
      const v4 = '4'.repeat(32);
      const upsert = f.sql.upsertServerKey.bind(f.sql);
      f.sql.upsertServerKey = async (...args) => {
        await upsert(...args);
        f.keys.add(keyVersion(v4, '2026-05-15T00:00:00Z'));
      };

      // Act
      const outcome = await reconcileTarget(f.deps, item(AUTO));

      // Assess
      expect(outcome).toMatchObject({ kind: 'rotated', keyVersion: V3 });
      expect(f.sql.writes).toEqual([{ op: 'upsertKey', server: AUTO, name: keyName(V3) }]);
    });

    it('switches to a version tied to the second only when Key Vault names it the latest', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V3, '2026-05-01T00:00:00Z'), keyVersion(V2, '2026-05-01T00:00:00Z')] });
      f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });

      await reconcileTarget(f.deps, item(PLAIN));

      // V2 was added last, so the fake's "latest" is V2: the tie goes to it.
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    });
  });

  describe('critical drift', () => {
    it('alerts on an auto-rotation protector whose version is disabled, without touching the protector', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false }), keyVersion(V2, '2026-03-01T00:00:00Z')] });
      f.sql.addServer(AUTO, protectorOn(V1, true), { [keyName(V1)]: `${KEY}/${V1}`, [keyName(V2)]: `${KEY}/${V2}` });

      await reconcileTarget(f.deps, item(AUTO));

      expect(f.notifications).toEqual([expect.objectContaining({ kind: 'criticalDrift', version: V1, code: 'AzureKeyVaultKeyDisabled' })]);
      expect(f.sql.writes).toEqual([]);
    });

    it('alerts at once when the protector is on a disabled version, without switching backwards', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z', { enabled: false })] });
      f.sql.addServer(PLAIN, protectorOn(V2), { [keyName(V2)]: `${KEY}/${V2}` });

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.notifications.map((n) => n.kind)).toEqual(['criticalDrift']);
      expect(f.logger.lines.some((l) => l.level === 'error' && l.message.startsWith('CRITICAL'))).toBe(true);
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    });

    it('alerts on an expired protector version even where the protector is not managed here', async () => {
      const f = reconcileFixture({
        servers: [{ id: PLAIN, switchProtector: false }],
        versions: [keyVersion(V1, '2026-01-01T00:00:00Z', { expiresOn: new Date('2026-02-01T00:00:00Z') }), keyVersion(V2, '2026-03-01T00:00:00Z')],
      });
      f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

      await reconcileTarget(f.deps, item(PLAIN));

      expect(f.notifications).toHaveLength(1);
      expect(f.notifications[0]).toMatchObject({ kind: 'criticalDrift', code: 'AzureKeyVaultInvalidExpirationDate', version: V1 });
    });

    it('alerts once per item even when a later round still sees the drift (ARM reporting the old protector once more)', async () => {
      // Prepare: the protector is on V1, disabled since; the read after the switch still shows V1
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false }), keyVersion(V2, '2026-03-01T00:00:00Z')] });
      f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });
      const read = f.sql.getEncryptionProtector.bind(f.sql);
      let reads = 0;
      f.sql.getEncryptionProtector = (id) => {
        reads += 1;
        return reads === 2 ? Promise.resolve(protectorOn(V1)) : read(id);
      };

      // Act
      await reconcileTarget(f.deps, item(PLAIN));

      // Assess: two rounds saw V1 disabled, one alert
      expect(f.sql.writes.filter((w) => w.op === 'setProtector')).toHaveLength(2);
      expect(f.notifications).toEqual([expect.objectContaining({ kind: 'criticalDrift', version: V1, code: 'AzureKeyVaultKeyDisabled' })]);
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V2));
    });
  });

  describe('authority: ROTATION_CONFIG decides, the message only asks', () => {
    const cases: [string, Parameters<typeof item>[1], string][] = [
      ['an unconfigured server', { target: `${SUB}/sql-stranger` }, 'is not configured'],
      ['a key from another vault', { key: 'https://evil-vault.vault.azure.net/keys/tde-key' }, 'is not in ROTATION_CONFIG'],
      ['a protector switch the config does not allow', { claims: { switchProtector: true } }, 'switchProtector=true'],
      ['a geo primary the config does not name', { claims: { geoPrimary: PRIMARY } }, 'geo primary'],
      ['a version that does not match the key id', { versionHint: V2, claims: { keyVersion: V3 } }, 'does not match'],
    ];
    it.each(cases)('dead-letters %s as NotInConfig with zero writes', async (_name, fields, words) => {
      const f = reconcileFixture({ servers: [{ id: PLAIN, switchProtector: false }] });
      f.sql.addServer(PLAIN, protectorOn(V1), {}).addServer(`${SUB}/sql-stranger`, protectorOn(V1), {});

      const outcome = await reconcileTarget(f.deps, item(PLAIN, fields));

      expect(outcome.kind).toBe('failed');
      expect(f.sql.writes).toEqual([]);
      expect(f.failures.deadLetters).toHaveLength(1);
      expect(f.failures.deadLetters[0]?.reason).toBe('NotInConfig');
      expect(f.failures.deadLetters[0]?.description).toContain(words);
    });

    it('accepts a discovered server only while its protector is on the key, with the discovery options', async () => {
      const found = `${SUB}/sql-found`;
      const other = `${SUB}/sql-other`;
      const f = reconcileFixture({ servers: [], discovery: { scopes: [SCOPE], switchProtector: true } });
      f.sql
        .addServer(found, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` })
        .addServer(other, { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` }, {});

      await reconcileTarget(f.deps, item(found));
      const refused = await reconcileTarget(f.deps, item(other));

      expect(f.sql.protector(found).serverKeyName).toBe(keyName(V3));
      expect(refused.kind).toBe('failed');
      expect(f.failures.deadLetters[0]?.reason).toBe('NotInConfig');
      expect(f.sql.keys(other)).toEqual([]);
    });
  });

  describe('geo order', () => {
    it('defers a primary while its geo secondary lacks the key, on the order schedule', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);

      const outcome = await reconcileTarget(f.deps, item(PRIMARY));

      expect(outcome).toMatchObject({ kind: 'deferred', code: 'WaitingForGeoSecondary' });
      expect(f.sql.writes).toEqual([]);
      expect(f.queue.scheduled[0]?.at?.getTime()).toBeGreaterThanOrEqual(f.clock.now().getTime() + 15_000);
    });

    it('converges the primary once the secondary holds the key', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);

      await reconcileTarget(f.deps, item(SECONDARY));
      await reconcileTarget(f.deps, item(PRIMARY));

      expect(f.sql.protector(SECONDARY).serverKeyName).toBe(keyName(V3));
      expect(f.sql.protector(PRIMARY).serverKeyName).toBe(keyName(V3));
    });
  });

  describe('failures', () => {
    it('reschedules when ARM answers 429 with Retry-After, never sooner than it asks', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.upsertFaults.failNext(PLAIN, new RotationError('TooManyRequests', 'retriable', 'throttled', { details: { statusCode: 429, retryAfterMs: 45_000 } }));

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome.kind).toBe('deferred');
      const retry = f.queue.scheduled[0];
      expect(retry?.item).toMatchObject({ kind: 'reconcile', target: PLAIN, attempt: 2 });
      expect(retry?.at?.getTime()).toBeGreaterThanOrEqual(f.clock.now().getTime() + 45_000);
    });

    it('retries a Key Vault outage while reading the versions, without writing', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.keys.listFaults.failNext(KEY, new RotationError('ServiceUnavailable', 'retriable', 'vault down', { details: { statusCode: 503 } }));

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
      expect(f.sql.writes).toEqual([]);
      expect(f.queue.scheduled.map((s) => s.item)).toEqual([expect.objectContaining({ kind: 'reconcile', target: PLAIN, attempt: 2 })]);
      expect(f.failures.deadLetters).toEqual([]);
    });

    // A Key Vault outage while reading one key version: a scheduled retry, never a dead letter, never a throw, and
    // never a conclusion drawn from the missing answer (an older version chosen, the protector called unusable).
    it.each([
      ['the newest version', `${KEY}/${V3}`, undefined],
      ['the version the item names, which the listing does not show yet', `${KEY}/${'4'.repeat(32)}`, '4'.repeat(32)],
      ["the protector's own version", `${KEY}/${V1}`, undefined],
    ] as const)('schedules a retry when Key Vault is down while reading %s', async (_label, versionId, hint) => {
      // Prepare
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.keys.faults.failAlways(versionId, new RotationError('ServiceUnavailable', 'retriable', 'vault down', { details: { statusCode: 503 } }));

      // Act
      const outcome = await reconcileTarget(f.deps, item(PLAIN, hint === undefined ? {} : { versionHint: hint }));

      // Assess
      expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
      expect(f.queue.scheduled.map((s) => s.item)).toEqual([expect.objectContaining({ kind: 'reconcile', target: PLAIN, attempt: 2 })]);
      expect(f.failures.deadLetters).toEqual([]);
      expect(f.notifications).toEqual([]);
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V1));
    });

    it('still moves on once Key Vault answers again', async () => {
      // Prepare
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.keys.faults.failNext(`${KEY}/${V3}`, new RotationError('ServiceUnavailable', 'retriable', 'vault down', { details: { statusCode: 503 } }));
      await reconcileTarget(f.deps, item(PLAIN));

      // Act: the scheduled retry
      const outcome = await reconcileTarget(f.deps, f.queue.scheduled[0]!.item as ReturnType<typeof item>);

      // Assess
      expect(outcome.kind).toBe('rotated');
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V3));
    });

    it("retries when the geo secondary's server key cannot be looked up, and switches nothing meanwhile", async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      // Only the secondary's key existence is read for SECONDARY while the primary is reconciled.
      f.sql.readFaults.failAlways(SECONDARY, new RotationError('ServiceUnavailable', 'retriable', 'arm down', { details: { statusCode: 503 } }));

      const outcome = await reconcileTarget(f.deps, item(PRIMARY));

      expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
      expect(f.sql.writes.filter((w) => w.op === 'setProtector')).toEqual([]);
      expect(f.failures.deadLetters).toEqual([]);
    });

    it('retries a protector switch that fails for any other reason than a newer version in place, without calling it done', async () => {
      // Prepare
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.protectorFaults.failNext(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'arm down', { details: { statusCode: 503 } }));

      // Act
      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      // Assess
      expect(outcome).toMatchObject({ kind: 'deferred', code: 'ServiceUnavailable' });
      expect(f.queue.scheduled.map((s) => s.item)).toEqual([expect.objectContaining({ kind: 'reconcile', target: PLAIN, attempt: 2 })]);
      expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V1));
    });

    it('retries a failed protector read', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.readFaults.failNext(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'arm down', { details: { statusCode: 503 } }));

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome.kind).toBe('deferred');
    });

    it('dead-letters the last attempt with its reason', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.upsertFaults.failAlways(PLAIN, new RotationError('ServiceUnavailable', 'retriable', 'down', { details: { statusCode: 503 } }));

      const outcome = await reconcileTarget(f.deps, item(PLAIN, { attempt: 4 }));

      expect(outcome.kind).toBe('failed');
      expect(f.failures.deadLetters[0]?.reason).toBe('MaxAttemptsExceeded');
    });

    it('turns a bug (a TypeError) into a terminal UnexpectedError naming the step', async () => {
      const f = reconcileFixture();
      standardEstate(f.sql);
      f.sql.upsertFaults.failNext(PLAIN, new TypeError("Cannot read properties of undefined (reading 'id')"));

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome).toMatchObject({ kind: 'failed', code: 'UnexpectedError' });
      expect(f.failures.deadLetters[0]?.description).toContain('reconcile');
    });

    it('dead-letters a key without any allowed version (NoEnabledKeyVersion)', async () => {
      const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z', { enabled: false })] });
      standardEstate(f.sql);

      const outcome = await reconcileTarget(f.deps, item(PLAIN));

      expect(outcome).toMatchObject({ kind: 'failed', code: 'NoEnabledKeyVersion' });
      expect(f.sql.writes).toEqual([]);
    });
  });

  describe('concurrency', () => {
    it('runs two items for one target one after the other: the protector never moves backwards, not even for a moment', async () => {
      for (let round = 0; round < 20; round += 1) {
        const f = reconcileFixture({ versions: [keyVersion(V1, '2026-01-01T00:00:00Z'), keyVersion(V2, '2026-03-01T00:00:00Z')] });
        f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });
        // The first item's key upsert is slow; V3 is created while it runs, and a second item asks for it.
        const upsert = f.sql.upsertServerKey.bind(f.sql);
        let calls = 0;
        f.sql.upsertServerKey = async (...args) => {
          calls += 1;
          if (calls === 1) {
            f.keys.add(keyVersion(V3, '2026-05-01T00:00:00Z'));
            await new Promise((resolve) => setTimeout(resolve, 2 + (round % 3)));
          }
          return upsert(...args);
        };
        const a = reconcileTarget(f.deps, item(PLAIN, { versionHint: V2 }));
        await new Promise((resolve) => setTimeout(resolve, 1));
        const b = reconcileTarget(f.deps, item(PLAIN, { versionHint: V3 }));
        await Promise.all([a, b]);

        const switches = f.sql.writes.filter((w) => w.op === 'setProtector').map((w) => w.name);
        const order = [keyName(V1), keyName(V2), keyName(V3)];
        const ranks = switches.map((n) => order.indexOf(n));
        expect(ranks, `round ${round}: ${switches.join(' -> ')}`).toEqual([...ranks].sort((x, y) => x - y));
        expect(f.sql.protector(PLAIN).serverKeyName).toBe(keyName(V3));
      }
    });
  });
});
