/**
 * Key Vault secrets through @azure/keyvault-secrets (the client answers Key Vault's 401 challenge itself).
 * One SecretClient per vault URL, cached; in-process retries are short (long waits belong to the backoff
 * queue). This is the one place where a {@link Secret} is revealed, to be written.
 *
 * Failures leave as RotationError WITHOUT the SDK error as cause: a RestError from setSecret holds the
 * request, whose body is the secret value. Messages are scrubbed of the value as well.
 *
 * `contentType`: SecretClient.setSecret (4.10.x, 4.11.x) drops its `contentType` option instead of sending it
 * (Azure/azure-sdk-for-js#38300). A second call (updateSecretProperties) would be a second write that can fail
 * after the key is stored, so the content type rides in the same PUT: setSecret passes it in a private header
 * and {@link contentTypePolicy} moves it into the JSON body before the request leaves the process.
 */
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import type { SecretStore, StoredSecretInfo } from '../app/ports.js';
import { RotationError, type ErrorDetails } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { toRotationError } from './azureErrors.js';

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

/** Private header carrying the content type from setSecret to {@link contentTypePolicy}; never sent. */
const CONTENT_TYPE_HEADER = 'x-rotation-secret-content-type';

/**
 * Moves the content type from {@link CONTENT_TYPE_HEADER} into the body of a set-secret PUT (see the file
 * comment). Runs once per call, before the retry and challenge policies.
 */
export const contentTypePolicy: PipelinePolicy = {
  name: 'secretContentTypePolicy',
  sendRequest(request, next) {
    const contentType = request.headers.get(CONTENT_TYPE_HEADER);
    if (contentType !== undefined) {
      request.headers.delete(CONTENT_TYPE_HEADER);
      if (request.method === 'PUT' && typeof request.body === 'string') {
        const body = JSON.parse(request.body) as Record<string, unknown>;
        request.body = JSON.stringify({ ...body, contentType });
      }
    }
    return next(request);
  },
};

/** Short SDK retries: a handful of seconds at most, well inside the function timeout. */
export const SECRET_STORE_RETRY_OPTIONS = { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4_000 } as const;

export class KeyVaultSecretStore implements SecretStore {
  readonly #credential: TokenCredential;
  readonly #options: SecretClientOptions;
  readonly #clients = new Map<string, SecretClient>();

  constructor(credential: TokenCredential, clientOptions: SecretClientOptions = {}) {
    this.#credential = credential;
    this.#options = {
      retryOptions: { ...SECRET_STORE_RETRY_OPTIONS },
      ...clientOptions,
      additionalPolicies: [...(clientOptions.additionalPolicies ?? []), { policy: contentTypePolicy, position: 'perCall' }],
    };
  }

  async setSecret(
    vaultUrl: string,
    name: string,
    value: Secret,
    options: { readonly contentType: string; readonly tags: Record<string, string>; readonly expiresOn?: Date },
  ): Promise<void> {
    const revealed = value.reveal();
    try {
      await this.#client(vaultUrl).setSecret(name, revealed, {
        contentType: options.contentType,
        requestOptions: { headers: { [CONTENT_TYPE_HEADER]: options.contentType } },
        tags: options.tags,
        ...(options.expiresOn === undefined ? {} : { expiresOn: options.expiresOn }),
      });
    } catch (e) {
      throw scrubbed(toRotationError(e, detailsOf(vaultUrl, name)), detailsOf(vaultUrl, name), revealed);
    }
  }

  /**
   * Reads the newest version with getSecret (one request whatever the history; needs `secrets/get`). Its value
   * is dropped here and never returned. 404 (no such secret, or deleted) is undefined.
   */
  async getSecretInfo(vaultUrl: string, name: string): Promise<StoredSecretInfo | undefined> {
    try {
      const { properties } = await this.#client(vaultUrl).getSecret(name);
      return {
        ...(properties.updatedOn === undefined ? {} : { updatedOn: properties.updatedOn }),
        tags: { ...(properties.tags ?? {}) },
      };
    } catch (e) {
      const err = toRotationError(e, detailsOf(vaultUrl, name));
      if (err.details.statusCode === 404) return undefined;
      throw scrubbed(err, detailsOf(vaultUrl, name));
    }
  }

  #client(vaultUrl: string): SecretClient {
    const key = vaultUrl.replace(/\/+$/, '').toLowerCase();
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = new SecretClient(vaultUrl, this.#credential, this.#options);
      this.#clients.set(key, client);
    }
    return client;
  }
}

function detailsOf(vaultUrl: string, name: string): ErrorDetails {
  let vault = vaultUrl;
  try {
    vault = new URL(vaultUrl).hostname.split('.')[0] ?? vaultUrl;
  } catch {
    // keep the URL as given
  }
  return { vault, key: name };
}

/**
 * The same error without its cause (which may hold the request body), the value masked in the message, and our
 * identifiers added (a RotationError raised inside the pipeline, e.g. for a long Retry-After, has none).
 */
function scrubbed(err: RotationError, details: ErrorDetails, value?: string): RotationError {
  const message = value === undefined || value.length === 0 ? err.message : err.message.split(value).join('[redacted]');
  return new RotationError(err.code, err.errorClass, message, { details: { ...details, ...err.details } });
}
