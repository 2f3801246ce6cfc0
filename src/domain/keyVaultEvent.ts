/**
 * Key Vault Event Grid events (`Microsoft.KeyVault.*`), in the Event Grid schema and the CloudEvents 1.0 schema.
 * Pure parsing: returns a value saying what the event is, never throws for bad input.
 */
import type { KeyId } from './keyId.js';

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

/** Accepts one event in either schema (detected by `specversion` vs `eventType`). */
export function parseKeyVaultEvent(raw: unknown): ParsedEvent {
  return { kind: 'invalid', reason: `not implemented: ${typeof raw}` };
}
