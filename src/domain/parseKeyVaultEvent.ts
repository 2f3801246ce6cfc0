/**
 * Key Vault Event Grid events (`Microsoft.KeyVault.*`), in the Event Grid schema and the CloudEvents 1.0 schema.
 * Pure parsing: returns a value saying what the event is, never throws for bad input.
 *
 * Data fields (KeyVault.2018-01-01 swagger, KeyVault.tsp): `Id`, `VaultName`, `ObjectType`, `ObjectName`,
 * `Version`, `NBF`, `EXP`. NBF/EXP are Unix seconds: numbers in real deliveries, numeric strings in the
 * official samples, and absent or null on older deliveries; all three are accepted.
 *
 * Reasons quote offending values through describeJson (bounded): `JSON.stringify` of a value nested 10,000 levels
 * deep throws RangeError, which would turn a rejection into a throw.
 */
import { parseKeyId, type KeyId } from './keyId.js';
import { describeJson } from './describeJson.js';

export const KEY_NEW_VERSION_CREATED = 'Microsoft.KeyVault.KeyNewVersionCreated';

export interface KeyNewVersionCreated {
  /** Event id (Event Grid `id` / CloudEvents `id`): the correlation id of all work it causes. */
  readonly eventId: string;
  readonly eventTime?: string;
  /** Parsed and cross-checked `data.Id` (versioned). */
  readonly key: KeyId & { readonly version: string };
  /** From `data.NBF` / `data.EXP` (numbers or numeric strings, Unix seconds), when present. */
  readonly notBefore?: Date;
  readonly expiresOn?: Date;
}

export type ParsedEvent =
  | { readonly kind: 'keyNewVersionCreated'; readonly event: KeyNewVersionCreated }
  /** Another event type: acknowledged and ignored. */
  | { readonly kind: 'ignored'; readonly eventId: string; readonly eventType: string }
  /** Malformed: rejected with the reason, never thrown. */
  | { readonly kind: 'invalid'; readonly eventId?: string; readonly reason: string };

type Fields = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

const NUMERIC_STRING = /^[0-9]+(\.[0-9]+)?$/;

/** Unix seconds as number or numeric string -> Date; null/undefined -> undefined; anything else -> a reason. */
function unixSeconds(v: unknown, field: string): { ok: true; value?: Date } | { ok: false; reason: string } {
  if (v === undefined || v === null) return { ok: true };
  let seconds: number;
  if (typeof v === 'number') seconds = v;
  else if (typeof v === 'string' && NUMERIC_STRING.test(v)) seconds = Number(v);
  else return { ok: false, reason: `${field} must be Unix seconds (number or numeric string), got ${describeJson(v)}` };
  const d = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || Number.isNaN(d.getTime())) {
    return { ok: false, reason: `${field} is out of range: ${String(v)}` };
  }
  return { ok: true, value: d };
}

/** Accepts one event in either schema (detected by `specversion` vs `eventType`). */
export function parseKeyVaultEvent(raw: unknown): ParsedEvent {
  if (!isObject(raw)) return { kind: 'invalid', reason: `expected one event object, got ${describe(raw)}` };

  const idValue = raw['id'];
  const eventId = typeof idValue === 'string' && idValue.length > 0 ? idValue : undefined;
  const invalid = (reason: string): ParsedEvent =>
    eventId === undefined ? { kind: 'invalid', reason } : { kind: 'invalid', eventId, reason };

  const cloudEvents = 'specversion' in raw;
  let eventType: unknown;
  let eventTime: unknown;
  let typeField: string;
  let timeField: string;
  if (cloudEvents) {
    if (raw['specversion'] !== '1.0') {
      return invalid(`specversion must be "1.0", got ${describeJson(raw['specversion'])}`);
    }
    if (typeof raw['source'] !== 'string' || raw['source'].length === 0) return invalid('source is missing or not a string');
    eventType = raw['type'];
    eventTime = raw['time'];
    typeField = 'type';
    timeField = 'time';
  } else if ('eventType' in raw) {
    eventType = raw['eventType'];
    eventTime = raw['eventTime'];
    typeField = 'eventType';
    timeField = 'eventTime';
  } else {
    return invalid('neither an Event Grid event (eventType) nor a CloudEvent (specversion)');
  }

  if (eventId === undefined) return invalid('id is missing or not a non-empty string');
  if (typeof eventType !== 'string' || eventType.length === 0) return invalid(`${typeField} is missing or not a string`);
  if (eventTime !== undefined && (typeof eventTime !== 'string' || Number.isNaN(Date.parse(eventTime)))) {
    return invalid(`${timeField} is not a valid date-time string`);
  }
  if (eventType !== KEY_NEW_VERSION_CREATED) return { kind: 'ignored', eventId, eventType };

  const data = raw['data'];
  if (!isObject(data)) return invalid(`data must be an object, got ${describe(data)}`);

  const text: Partial<Record<'Id' | 'VaultName' | 'ObjectType' | 'ObjectName' | 'Version', string>> = {};
  for (const field of ['Id', 'VaultName', 'ObjectType', 'ObjectName', 'Version'] as const) {
    const v = data[field];
    if (typeof v !== 'string' || v.length === 0) return invalid(`data.${field} is missing or not a non-empty string`);
    text[field] = v;
  }
  const { Id = '', VaultName = '', ObjectType = '', ObjectName = '', Version = '' } = text;

  if (ObjectType !== 'Key') return invalid(`data.ObjectType must be "Key" for ${KEY_NEW_VERSION_CREATED}, got "${ObjectType}"`);
  let key: KeyId;
  try {
    key = parseKeyId(Id);
  } catch (e) {
    return invalid(`data.Id: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (key.version === undefined) return invalid('data.Id must be a versioned key id');
  if (key.vaultName !== VaultName.toLowerCase()) {
    return invalid(`data.VaultName "${VaultName}" disagrees with the vault of data.Id ("${key.vaultName}")`);
  }
  if (key.name !== ObjectName) return invalid(`data.ObjectName "${ObjectName}" disagrees with the key name of data.Id ("${key.name}")`);
  if (key.version !== Version.toLowerCase()) {
    return invalid(`data.Version "${Version}" disagrees with the version of data.Id ("${key.version}")`);
  }

  const nbf = unixSeconds(data['NBF'], 'data.NBF');
  if (!nbf.ok) return invalid(nbf.reason);
  const exp = unixSeconds(data['EXP'], 'data.EXP');
  if (!exp.ok) return invalid(exp.reason);

  const event: KeyNewVersionCreated = {
    eventId,
    ...(typeof eventTime === 'string' ? { eventTime } : {}),
    key: key as KeyId & { readonly version: string },
    ...(nbf.value === undefined ? {} : { notBefore: nbf.value }),
    ...(exp.value === undefined ? {} : { expiresOn: exp.value }),
  };
  return { kind: 'keyNewVersionCreated', event };
}
