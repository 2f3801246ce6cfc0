/**
 * One SqlManagementClient per subscription, built lazily from the process-wide credential. ARM ids carry the
 * subscription, so adapters ask the factory for the client of the id they are working on.
 */
import { SqlManagementClient, type SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { TokenCredential } from '@azure/identity';
import type { WriteBudget } from '../domain/writeBudget.js';
import { armWriteBudgetPolicy } from './armWriteBudgetPolicy.js';
import { shortRetryOptions } from './clientOptions.js';


export class SqlClientFactory {
  readonly #credential: TokenCredential;
  readonly #options: SqlManagementClientOptionalParams;
  readonly #clients = new Map<string, SqlManagementClient>();

  /**
   * @param budget - when given, every ARM write is paced by it (see armWriteBudgetPolicy); waits longer than
   *   `maxInlineWaitMs` become retriable `ClientThrottled` errors for the backoff queue.
   */
  constructor(
    credential: TokenCredential,
    options: SqlManagementClientOptionalParams = {},
    budget?: { readonly budget: WriteBudget; readonly maxInlineWaitMs: number },
  ) {
    this.#credential = credential;
    const defaults = shortRetryOptions(budget?.maxInlineWaitMs);
    this.#options = {
      retryOptions: defaults.retryOptions,
      ...options,
      additionalPolicies: [
        ...defaults.additionalPolicies,
        ...(options.additionalPolicies ?? []),
        ...(budget ? [{ policy: armWriteBudgetPolicy(budget), position: 'perRetry' as const }] : []),
      ],
    };
  }

  forSubscription(subscriptionId: string): SqlManagementClient {
    const key = subscriptionId.toLowerCase();
    let client = this.#clients.get(key);
    if (!client) {
      client = new SqlManagementClient(this.#credential, subscriptionId, this.#options);
      this.#clients.set(key, client);
    }
    return client;
  }
}
