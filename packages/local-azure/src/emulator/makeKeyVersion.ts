/**
 * Key material as the emulator fakes it: Key Vault-like version ids, random RSA moduli of the requested size (enough
 * for clients that compute the key size from `n`), and the thumbprint SQL shows for a key.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { KeyVersionState } from './vaultState.js';

/** The operations a key version allows when its creator names none. */
export const DEFAULT_KEY_OPS: readonly string[] = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

/** What a new key version may set; the rest takes Key Vault's defaults (a new id, RSA 2048, every operation, enabled). */
export interface KeyVersionSpec {
  readonly version?: string;
  readonly kty?: string;
  readonly keySize?: number;
  readonly keyOps?: string[];
  readonly enabled?: boolean;
  readonly nbf?: number;
  readonly exp?: number;
  readonly tags?: Record<string, string>;
}

/** A key version created at `created` (Unix seconds), with a random modulus of its size. */
export function makeKeyVersion(spec: KeyVersionSpec, created: number): KeyVersionState {
  const keySize = spec.keySize ?? 2048;
  const v: KeyVersionState = {
    version: spec.version ?? newVersion(),
    kty: spec.kty ?? 'RSA',
    keySize,
    n: randomModulus(keySize),
    keyOps: spec.keyOps ?? [...DEFAULT_KEY_OPS],
    enabled: spec.enabled ?? true,
    created,
    updated: created,
  };
  if (spec.nbf !== undefined) v.nbf = spec.nbf;
  if (spec.exp !== undefined) v.exp = spec.exp;
  if (spec.tags !== undefined) v.tags = spec.tags;
  return v;
}

/** 32 lowercase hex characters, like Key Vault object versions. */
export function newVersion(): string {
  return randomUUID().replace(/-/g, '');
}

/** Upper-case hex SHA-1 over the modulus: stands in for the key thumbprint SQL shows. */
export function thumbprintOf(n: string): string {
  return createHash('sha1').update(n).digest('hex').toUpperCase();
}

/** A random RSA modulus of the given size. */
function randomModulus(keySize: number): string {
  const bytes = randomBytes(Math.max(1, Math.ceil(keySize / 8)));
  bytes[0] = (bytes[0] ?? 0) | 0x80;
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) | 0x01;
  return bytes.toString('base64url');
}
