/**
 * Reads key versions from Key Vault or Managed HSM with @azure/keyvault-keys (the client answers Key Vault's
 * 401 challenge itself). Key material is never read beyond the RSA modulus length, for the size check.
 *
 * A disabled version comes back one of two ways: 200 with `attributes.enabled: false`, or 403 `Forbidden` with
 * inner error `KeyDisabled` ("Operation get is not allowed on a disabled key", as Key Vault answers for a
 * disabled secret). Both are reported as a version with `enabled: false` (its other attributes read from the
 * version list, which shows disabled versions), so the pre-flight refuses it as `AzureKeyVaultKeyDisabled`
 * instead of dead-lettering a 403 that reads like a missing role assignment.
 */
import { KeyClient, type KeyClientOptions, type KeyProperties } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import type { KeyReader, KeyVersionProperties, KeyVersionSummary } from '../app/ports.js';
import type { KeyId } from '../domain/keyId.js';
import { toRotationError } from './toRotationError.js';
import { ClientCache } from './clientCache.js';
import { shortRetryOptions } from './shortRetryOptions.js';

export class KeyVaultKeyReader implements KeyReader {
  /** One KeyClient per vault URL (as given). */
  readonly #clients: ClientCache<KeyClient>;

  constructor(credential: TokenCredential, options: KeyClientOptions = {}) {
    const defaults = shortRetryOptions();
    const clientOptions: KeyClientOptions = {
      retryOptions: defaults.retryOptions,
      ...options,
      additionalPolicies: [...defaults.additionalPolicies, ...(options.additionalPolicies ?? [])],
    };
    this.#clients = new ClientCache((vaultUrl) => new KeyClient(vaultUrl, credential, clientOptions));
  }

  async getKey(key: KeyId): Promise<KeyVersionProperties> {
    try {
      const k = await this.#client(key.vaultUrl).getKey(
        key.name,
        key.version === undefined ? {} : { version: key.version },
      );
      const modulus = k.key?.n;
      return {
        ...summary(k.properties),
        keyType: k.keyType ?? k.key?.kty ?? 'unknown',
        ...(modulus && modulus.length > 0 ? { keySize: modulus.length * 8 } : {}),
      };
    } catch (e) {
      if (isKeyDisabledAnswer(e)) return this.#disabledVersion(key);
      throw toRotationError(e, { ...detailsOf(key), step: 'keys.getKey' });
    }
  }

  /** What Key Vault knows of a version it refused to show because it is disabled. */
  async #disabledVersion(key: KeyId): Promise<KeyVersionProperties> {
    const fallback: KeyVersionProperties = { id: key.id, version: key.version ?? '', enabled: false, keyType: 'unknown' };
    if (key.version === undefined) return fallback;
    const wanted = key.version.toLowerCase();
    try {
      for await (const p of this.#client(key.vaultUrl).listPropertiesOfKeyVersions(key.name)) {
        if (p.version?.toLowerCase() === wanted) return { ...summary(p), enabled: false, keyType: 'unknown' };
      }
    } catch {
      // The refusal itself is the answer; the attributes are a courtesy.
    }
    return fallback;
  }

  async listVersions(key: KeyId): Promise<KeyVersionSummary[]> {
    const out: KeyVersionSummary[] = [];
    try {
      for await (const p of this.#client(key.vaultUrl).listPropertiesOfKeyVersions(key.name)) out.push(summary(p));
    } catch (e) {
      throw toRotationError(e, { ...detailsOf(key), step: 'keys.listPropertiesOfKeyVersions' });
    }
    return out;
  }

  #client(vaultUrl: string): KeyClient {
    return this.#clients.get(vaultUrl);
  }
}

function summary(p: KeyProperties): KeyVersionSummary {
  return {
    id: p.id ?? '',
    version: p.version ?? '',
    enabled: p.enabled === true,
    ...(p.notBefore ? { notBefore: p.notBefore } : {}),
    ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
    ...(p.createdOn ? { createdOn: p.createdOn } : {}),
  };
}

/** Key Vault's 403 for a disabled version: `{"error":{"code":"Forbidden","innererror":{"code":"KeyDisabled"}}}`. */
export function isKeyDisabledAnswer(e: unknown): boolean {
  const x = e as { statusCode?: unknown; details?: unknown; response?: { bodyAsText?: unknown } } | null;
  if (x === null || typeof x !== 'object' || x.statusCode !== 403) return false;
  const inner = (body: unknown): unknown => {
    const error = (body as { error?: { innerError?: { code?: unknown }; innererror?: { code?: unknown } } } | null)?.error;
    return error?.innerError?.code ?? error?.innererror?.code;
  };
  let code = inner(x.details);
  if (code === undefined && typeof x.response?.bodyAsText === 'string') {
    try {
      code = inner(JSON.parse(x.response.bodyAsText));
    } catch {
      code = undefined;
    }
  }
  return typeof code === 'string' && code.toLowerCase() === 'keydisabled';
}

function detailsOf(key: KeyId): { vault: string; key: string; version?: string } {
  return { vault: key.vaultName, key: key.name, ...(key.version === undefined ? {} : { version: key.version }) };
}
