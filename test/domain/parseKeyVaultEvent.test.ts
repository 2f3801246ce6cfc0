import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_NEW_VERSION_CREATED, parseKeyVaultEvent } from '../../src/domain/parseKeyVaultEvent.js';

const VECTORS = resolve(__dirname, '../../../shared/vectors/eventgrid');
const FIXTURES = resolve(__dirname, '../fixtures/eventgrid');

const SAMPLES: readonly [original: string, fixture: string][] = [
  ['spec-example.event-grid-schema.secret_new_version_created.json', 'spec-example.event-grid-schema.key_new_version_created.json'],
  ['spec-example.cloud-events-schema.secret_new_version_created.json', 'spec-example.cloud-events-schema.key_new_version_created.json'],
  ['docs-2022.event-grid-schema.SecretNewVersionCreated.json', 'docs-2022.event-grid-schema.KeyNewVersionCreated.json'],
  ['docs-2022.cloud-event-schema.SecretNewVersionCreated.json', 'docs-2022.cloud-event-schema.KeyNewVersionCreated.json'],
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON samples
type Json = Record<string, any>;

function events(file: string): Json[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Json | Json[];
  return Array.isArray(parsed) ? (parsed as Json[]) : [parsed];
}

/** The documented derivation (test/fixtures/eventgrid/README.md): secret sample -> key event. */
function toKeyEvent(e: Json): Json {
  const out: Json = { ...e, data: { ...e.data, ObjectType: 'Key', Id: String(e.data.Id).replace('/secrets/', '/keys/') } };
  if ('eventType' in out) out.eventType = KEY_NEW_VERSION_CREATED;
  if ('type' in out) out.type = KEY_NEW_VERSION_CREATED;
  return out;
}

function toCloudEvent(e: Json): Json {
  if ('specversion' in e) return e;
  return { id: e.id, source: e.topic, subject: e.subject, type: e.eventType, time: e.eventTime, data: e.data, specversion: '1.0' };
}

function toEventGrid(e: Json): Json {
  if (!('specversion' in e)) return e;
  return {
    id: e.id,
    topic: e.source,
    subject: e.subject,
    eventType: e.type,
    eventTime: e.time,
    data: e.data,
    dataVersion: '1',
    metadataVersion: '1',
  };
}

const VERSION = 'ee059b2bb5bc48398a53b168c6cdcb10';

function keyEvent(overrides: Json = {}, data: Json = {}): Json {
  return {
    id: 'evt-1',
    topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/sample-kv',
    subject: 'tde',
    eventType: KEY_NEW_VERSION_CREATED,
    eventTime: '2024-05-01T10:00:00Z',
    data: {
      Id: `https://sample-kv.vault.azure.net/keys/tde/${VERSION}`,
      VaultName: 'sample-kv',
      ObjectType: 'Key',
      ObjectName: 'tde',
      Version: VERSION,
      NBF: 1714557600,
      EXP: 1746093600,
      ...data,
    },
    dataVersion: '1',
    metadataVersion: '1',
    ...overrides,
  };
}

describe('Function: parseKeyVaultEvent', () => {
  describe('official samples turned into key events', () => {
    it.each(SAMPLES)('fixture derived from %s matches the documented transformation', (original, fixture) => {
      expect(events(resolve(FIXTURES, fixture))).toEqual(events(resolve(VECTORS, original)).map(toKeyEvent));
    });

    it.each(SAMPLES)('%s parses as a key event in both schemas', (_original, fixture) => {
      const samples = events(resolve(FIXTURES, fixture));
      expect(samples).not.toHaveLength(0);
      for (const e of samples) {
        for (const shaped of [toEventGrid(e), toCloudEvent(e)]) {
          const parsed = parseKeyVaultEvent(shaped);
          expect(parsed).toEqual({
            kind: 'keyNewVersionCreated',
            event: {
              eventId: '00eccf70-95a7-4e7c-8299-2eb17ee9ad64',
              eventTime: '2019-07-25T01:08:33.1036736Z',
              key: expect.objectContaining({
                vaultName: 'sample-kv',
                name: 'newsecret',
                version: VERSION,
                id: `https://sample-kv.vault.azure.net/keys/newsecret/${VERSION}`,
              }),
              notBefore: new Date(1559081980 * 1000),
              expiresOn: new Date(1559082102 * 1000),
            },
          });
        }
      }
    });

    it.each(SAMPLES)('the secret original %s is ignored in both schemas', (original) => {
      const samples = events(resolve(VECTORS, original));
      expect(samples).not.toHaveLength(0);
      for (const e of samples) {
        for (const shaped of [toEventGrid(e), toCloudEvent(e)]) {
          expect(parseKeyVaultEvent(shaped)).toEqual({
            kind: 'ignored',
            eventId: '00eccf70-95a7-4e7c-8299-2eb17ee9ad64',
            eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
          });
        }
      }
    });
  });

  describe('NBF and EXP', () => {
    it('accepts numbers as real deliveries send them', () => {
      const parsed = parseKeyVaultEvent(keyEvent());
      expect(parsed.kind === 'keyNewVersionCreated' && parsed.event.notBefore).toEqual(new Date(1714557600_000));
    });

    it('accepts numeric strings as the official samples send them', () => {
      const parsed = parseKeyVaultEvent(keyEvent({}, { NBF: '1714557600', EXP: '1746093600' }));
      expect(parsed.kind === 'keyNewVersionCreated' && parsed.event.expiresOn).toEqual(new Date(1746093600_000));
    });

    it('accepts 0, the Unix epoch', () => {
      const parsed = parseKeyVaultEvent(keyEvent({}, { NBF: 0 }));
      expect(parsed.kind === 'keyNewVersionCreated' && parsed.event.notBefore).toEqual(new Date(0));
    });

    it.each([
      ['absent', undefined],
      ['null', null],
    ])('accepts %s NBF/EXP and leaves the dates out', (_label, value) => {
      const parsed = parseKeyVaultEvent(keyEvent({}, { NBF: value, EXP: value }));
      expect(parsed.kind).toBe('keyNewVersionCreated');
      if (parsed.kind !== 'keyNewVersionCreated') return;
      expect(parsed.event).not.toHaveProperty('notBefore');
      expect(parsed.event).not.toHaveProperty('expiresOn');
    });

    it.each([
      ['a date string', { NBF: '2024-05-01' }, /data\.NBF/],
      ['a boolean', { EXP: true }, /data\.EXP/],
      ['a negative number', { EXP: -5 }, /data\.EXP/],
      ['infinity', { NBF: Number.POSITIVE_INFINITY }, /data\.NBF/],
    ])('rejects %s', (_label, data, reason) => {
      const parsed = parseKeyVaultEvent(keyEvent({}, data));
      expect(parsed).toMatchObject({ kind: 'invalid', eventId: 'evt-1' });
      expect(parsed.kind === 'invalid' && parsed.reason).toMatch(reason);
    });
  });

  describe('event types', () => {
    it.each([
      'Microsoft.KeyVault.KeyNearExpiry',
      'Microsoft.KeyVault.KeyExpired',
      'Microsoft.KeyVault.SecretNewVersionCreated',
      'Microsoft.KeyVault.CertificateNewVersionCreated',
      'Microsoft.KeyVault.VaultAccessPolicyChanged',
      'Microsoft.Storage.BlobCreated',
    ])('ignores %s', (eventType) => {
      expect(parseKeyVaultEvent(keyEvent({ eventType }))).toEqual({ kind: 'ignored', eventId: 'evt-1', eventType });
    });

    it('ignores another type even when its data would be invalid for a key event', () => {
      expect(parseKeyVaultEvent(keyEvent({ eventType: 'Microsoft.KeyVault.KeyExpired', data: 'nonsense' })).kind).toBe('ignored');
    });

    it('accepts an event without an event time and leaves it out', () => {
      const parsed = parseKeyVaultEvent(keyEvent({ eventTime: undefined }));
      expect(parsed.kind).toBe('keyNewVersionCreated');
      expect(parsed.kind === 'keyNewVersionCreated' && Object.keys(parsed.event)).not.toContain('eventTime');
    });

    it('recognises the CloudEvents schema by specversion', () => {
      const parsed = parseKeyVaultEvent(toCloudEvent(keyEvent()));
      expect(parsed.kind).toBe('keyNewVersionCreated');
    });

    it('normalises the version case from the event', () => {
      const upper = VERSION.toUpperCase();
      const parsed = parseKeyVaultEvent(
        keyEvent({}, { Id: `https://SAMPLE-KV.vault.azure.net/keys/tde/${upper}`, Version: upper, VaultName: 'Sample-KV' }),
      );
      expect(parsed.kind === 'keyNewVersionCreated' && parsed.event.key.id).toBe(`https://sample-kv.vault.azure.net/keys/tde/${VERSION}`);
    });
  });

  describe('malformed events are invalid, never thrown', () => {
    const cases: [string, unknown, RegExp][] = [
      ['undefined', undefined, /one event object, got undefined$/],
      ['null', null, /one event object, got null$/],
      ['a string', 'event', /one event object, got string$/],
      ['an array (a batch, not one event)', [keyEvent()], /got an array/],
      ['no schema marker', { id: 'x', data: {} }, /neither an Event Grid event/],
      ['missing id', keyEvent({ id: undefined }), /\bid is missing/],
      ['empty id', keyEvent({ id: '' }), /\bid is missing/],
      ['numeric eventType', keyEvent({ eventType: 7 }), /^eventType is missing/],
      ['empty eventType', keyEvent({ eventType: '' }), /^eventType is missing/],
      ['CloudEvents numeric type', { ...toCloudEvent(keyEvent()), type: 7 }, /^type is missing/],
      ['bad eventTime', keyEvent({ eventTime: 'yesterday' }), /eventTime/],
      ['CloudEvents 0.1', { ...toCloudEvent(keyEvent()), specversion: '0.1' }, /specversion must be "1.0", got "0\.1"$/],
      ['CloudEvents without source', { ...toCloudEvent(keyEvent()), source: undefined }, /source/],
      ['CloudEvents with an empty source', { ...toCloudEvent(keyEvent()), source: '' }, /source/],
      ['CloudEvents bad time', { ...toCloudEvent(keyEvent()), time: 12 }, /^time is not/],
      ['data missing', keyEvent({ data: undefined }), /data must be an object/],
      ['data an array', keyEvent({ data: [] }), /data must be an object, got an array/],
      ['Id missing', keyEvent({}, { Id: undefined }), /data\.Id is missing/],
      ['VaultName not a string', keyEvent({}, { VaultName: 3 }), /data\.VaultName/],
      ['Id empty', keyEvent({}, { Id: '' }), /data\.Id is missing/],
      ['VaultName empty', keyEvent({}, { VaultName: '' }), /data\.VaultName is missing/],
      ['ObjectType empty', keyEvent({}, { ObjectType: '' }), /data\.ObjectType is missing/],
      ['ObjectName empty', keyEvent({}, { ObjectName: '' }), /data\.ObjectName is missing/],
      ['Version empty', keyEvent({}, { Version: '' }), /data\.Version is missing/],
      ['Version missing', keyEvent({}, { Version: undefined }), /data\.Version/],
      ['ObjectType Secret', keyEvent({}, { ObjectType: 'Secret' }), /data\.ObjectType must be "Key"/],
      ['Id a secret id', keyEvent({}, { Id: `https://sample-kv.vault.azure.net/secrets/tde/${VERSION}` }), /data\.Id: .*secret id/],
      ['Id on a foreign host', keyEvent({}, { Id: `https://sample-kv.vault.azure.net.evil.com/keys/tde/${VERSION}` }), /data\.Id: .*host/],
      ['Id with a query', keyEvent({}, { Id: `https://sample-kv.vault.azure.net/keys/tde/${VERSION}?x` }), /data\.Id: .*query/],
      ['Id versionless', keyEvent({}, { Id: 'https://sample-kv.vault.azure.net/keys/tde' }), /data\.Id must be a versioned/],
      ['VaultName disagrees', keyEvent({}, { VaultName: 'other-kv' }), /data\.VaultName "other-kv" disagrees/],
      ['ObjectName disagrees', keyEvent({}, { ObjectName: 'other' }), /data\.ObjectName "other" disagrees/],
      ['Version disagrees', keyEvent({}, { Version: '0'.repeat(32) }), /data\.Version .* disagrees/],
    ];

    it.each(cases)('rejects %s', (_label, raw, reason) => {
      let parsed: ReturnType<typeof parseKeyVaultEvent> | undefined;
      expect(() => {
        parsed = parseKeyVaultEvent(raw);
      }).not.toThrow();
      expect(parsed?.kind).toBe('invalid');
      expect(parsed?.kind === 'invalid' && parsed.reason).toMatch(reason);
    });

    it('keeps the event id on an invalid event when it has one', () => {
      expect(parseKeyVaultEvent(keyEvent({}, { ObjectType: 'Secret' }))).toMatchObject({ kind: 'invalid', eventId: 'evt-1' });
    });

    it('leaves the event id out of an invalid event that has none', () => {
      const parsed = parseKeyVaultEvent(keyEvent({ id: undefined }));
      expect(Object.keys(parsed).sort()).toEqual(['kind', 'reason']);
    });
  });

  // 100,000 levels: deep enough for JSON.stringify to overflow the stack on the main thread and in a worker thread
  // (whose default stack is larger: 10,000 levels fit there), where Stryker's vitest runner runs these tests.
  describe('deeply nested bodies (100,000 levels)', () => {
    /** What JSON.parse makes of a body nested `depth` levels deep (it parses; JSON.stringify of it throws). */
    const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    const DEPTH = 100_000;
    const deepObject = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

    it('is the case that JSON.stringify throws RangeError on such a value', () => {
      expect(() => JSON.stringify(deep(DEPTH))).toThrow(RangeError);
    });

    it.each([
      ['data.NBF', () => keyEvent({}, { NBF: deep(DEPTH) }), /^data\.NBF must be Unix seconds/],
      ['data.EXP', () => keyEvent({}, { EXP: deepObject(DEPTH) }), /^data\.EXP must be Unix seconds/],
      ['specversion', () => ({ id: 'evt-1', specversion: deep(DEPTH), source: 's', type: KEY_NEW_VERSION_CREATED }), /^specversion must be "1\.0"/],
      ['data', () => keyEvent({ data: deep(DEPTH) }), /^data must be an object/],
      ['the whole event', () => deep(DEPTH), /^expected one event object/],
    ] as const)('rejects a 100,000-level %s with a reason instead of throwing', (_label, event, reason) => {
      const parsed = parseKeyVaultEvent(event());

      expect(parsed.kind).toBe('invalid');
      expect(parsed.kind === 'invalid' && parsed.reason).toMatch(reason);
      expect(parsed.kind === 'invalid' && parsed.reason.length).toBeLessThan(300);
    });
  });
});
