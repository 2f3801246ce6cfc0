/**
 * Reads key versions from Key Vault or Managed HSM with @azure/keyvault-keys (the client answers Key Vault's
 * 401 challenge itself). Key material is never read beyond the RSA modulus length, for the size check.
 */
import { KeyClient, type KeyClientOptions, type KeyProperties } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import type { KeyReader, KeyVersionProperties, KeyVersionSummary } from '../app/ports.js';
import type { KeyId } from '../domain/keyId.js';
import { toRotationError } from './azureErrors.js';
import { shortRetryOptions } from './clientOptions.js';

export class KeyVaultKeyReader implements KeyReader {
  readonly #credential: TokenCredential;
  readonly #options: KeyClientOptions;
  readonly #clients = new Map<string, KeyClient>();

  constructor(credential: TokenCredential, options: KeyClientOptions = {}) {
    this.#credential = credential;
    const defaults = shortRetryOptions();
    this.#options = {
      retryOptions: defaults.retryOptions,
      ...options,
      additionalPolicies: [...defaults.additionalPolicies, ...(options.additionalPolicies ?? [])],
    };
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
      throw toRotationError(e, detailsOf(key));
    }
  }

  async listVersions(key: KeyId): Promise<KeyVersionSummary[]> {
    const out: KeyVersionSummary[] = [];
    try {
      for await (const p of this.#client(key.vaultUrl).listPropertiesOfKeyVersions(key.name)) out.push(summary(p));
    } catch (e) {
      throw toRotationError(e, detailsOf(key));
    }
    return out;
  }

  #client(vaultUrl: string): KeyClient {
    let c = this.#clients.get(vaultUrl);
    if (!c) {
      c = new KeyClient(vaultUrl, this.#credential, this.#options);
      this.#clients.set(vaultUrl, c);
    }
    return c;
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

function detailsOf(key: KeyId): { vault: string; key: string; version?: string } {
  return { vault: key.vaultName, key: key.name, ...(key.version === undefined ? {} : { version: key.version }) };
}
