/**
 * Key Vault secrets through @azure/keyvault-secrets (the client answers Key Vault's 401 challenge itself).
 * One SecretClient per vault URL, cached; in-process retries are short (long waits belong to the backoff
 * queue). This is the one place where a {@link Secret} is revealed, to be written.
 *
 * Failures leave as RotationError WITHOUT the SDK error as cause: a RestError from setSecret holds the
 * request, whose body is the secret value. Nor do they carry the SDK's message unless Key Vault answered with
 * an error status (its message then is Key Vault's own text about the request): a 2xx answer whose body cannot
 * be parsed yields a PARSE_ERROR quoting the body (the live value, for setSecret and getSecret), and a bug's
 * message (a JSON.parse error) can quote the request. Masking the value inside a message is no defence: Key
 * Vault JSON-escapes characters such as `+` (`\u002b`), so the quoted value need not match the one sent.
 *
 * `contentType`: SecretClient.setSecret (4.10.x, 4.11.x) drops its `contentType` option instead of sending it
 * (Azure/azure-sdk-for-js#38300). A second call (updateSecretProperties) would be a second write that can fail
 * after the key is stored, so the content type rides in the same PUT: setSecret passes it in a private header
 * and {@link contentTypePolicy} moves it into the JSON body before the request leaves the process.
 */
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import type { SecretStore, StoredSecretInfo } from '../app/ports.js';
import { RotationError, isRotationError, type ErrorDetails } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { toRotationError } from './toRotationError.js';
import { ClientCache } from './clientCache.js';

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
  /** One SecretClient per vault, whatever the case or trailing slashes of its URL. */
  readonly #clients: ClientCache<SecretClient>;

  constructor(credential: TokenCredential, clientOptions: SecretClientOptions = {}) {
    const options: SecretClientOptions = {
      retryOptions: { ...SECRET_STORE_RETRY_OPTIONS },
      ...clientOptions,
      additionalPolicies: [...(clientOptions.additionalPolicies ?? []), { policy: contentTypePolicy, position: 'perCall' }],
    };
    this.#clients = new ClientCache(
      (vaultUrl) => new SecretClient(vaultUrl, credential, options),
      (vaultUrl) => vaultUrl.replace(/\/+$/, '').toLowerCase(),
    );
  }

  async setSecret(
    vaultUrl: string,
    name: string,
    value: Secret,
    options: { readonly contentType: string; readonly tags: Record<string, string>; readonly expiresOn?: Date },
  ): Promise<void> {
    try {
      await this.#client(vaultUrl).setSecret(name, value.reveal(), {
        contentType: options.contentType,
        requestOptions: { headers: { [CONTENT_TYPE_HEADER]: options.contentType } },
        tags: options.tags,
        ...(options.expiresOn === undefined ? {} : { expiresOn: options.expiresOn }),
      });
    } catch (e) {
      throw withoutSdkText(e, 'setSecret', detailsOf(vaultUrl, name));
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
        ...(properties.version === undefined ? {} : { version: properties.version }),
        ...(properties.updatedOn === undefined ? {} : { updatedOn: properties.updatedOn }),
        tags: { ...(properties.tags ?? {}) },
      };
    } catch (e) {
      const err = withoutSdkText(e, 'getSecret', detailsOf(vaultUrl, name));
      if (err.details.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** Replaces one version's tags (updateSecretProperties: a PATCH of attributes and tags, never the value). */
  async updateSecretTags(vaultUrl: string, name: string, version: string, tags: Record<string, string>): Promise<void> {
    try {
      await this.#client(vaultUrl).updateSecretProperties(name, version, { tags });
    } catch (e) {
      throw withoutSdkText(e, 'updateSecretProperties', detailsOf(vaultUrl, name));
    }
  }

  #client(vaultUrl: string): SecretClient {
    return this.#clients.get(vaultUrl);
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
 * A RotationError for a failed secret call that cannot hold the secret: no cause, our identifiers added (a
 * RotationError raised inside the pipeline, e.g. for a long Retry-After, has none), and the SDK's message only
 * when Key Vault answered with an error status. A 2xx answer that could not be read (PARSE_ERROR) is a
 * retriable `UnexpectedResponse` whose message says so and quotes nothing.
 */
function withoutSdkText(e: unknown, operation: string, details: ErrorDetails): RotationError {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  const sdkCode = (e as { code?: unknown } | null)?.code;
  const what = `${operation} of secret ${details.key ?? ''} in ${details.vault ?? ''}`;
  if ((typeof status === 'number' && status >= 200 && status < 300) || sdkCode === 'PARSE_ERROR') {
    return new RotationError(
      'UnexpectedResponse',
      'retriable',
      `${what} answered${typeof status === 'number' ? ` ${status}` : ''} but the response could not be read (body withheld: it holds the secret)`,
      { details: { ...details, ...(typeof status === 'number' ? { statusCode: status } : {}) } },
    );
  }
  const err = toRotationError(e, { ...details, step: operation });
  const keepMessage = isRotationError(e) || (typeof status === 'number' && status >= 300);
  const message = keepMessage
    ? err.message
    : `${what} failed: ${err.code}${err.details.azureCode === undefined ? '' : ` (${err.details.azureCode})`} (SDK message withheld)`;
  return new RotationError(err.code, err.errorClass, message, { details: { ...details, ...err.details } });
}
