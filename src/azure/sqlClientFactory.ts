/**
 * One SqlManagementClient per subscription, built lazily from the process-wide credential. ARM ids carry the
 * subscription, so adapters ask the factory for the client of the id they are working on.
 */
import { SqlManagementClient, type SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { TokenCredential } from '@azure/identity';
import type { AzureCloud } from '../domain/azureCloud.js';
import type { ArmBudget } from '../domain/armBudget.js';
import { armBudgetPolicy } from './armBudgetPolicy.js';
import { ClientCache } from './clientCache.js';
import { shortRetryOptions } from './shortRetryOptions.js';

/** Longest wait for an ARM token taken inside one invocation; beyond it the item is rescheduled. */
export const MAX_BUDGET_WAIT_MS = 120_000;

/** How the factory's clients pace themselves against ARM's per-subscription buckets. */
export interface ArmPacing {
  /** One per process, shared by every client of the factory: reads and writes wait for their tokens (see armBudgetPolicy). */
  readonly budget: ArmBudget;
  /** Longest SDK retry delay (Retry-After of a 429/503) taken in process; see longWaitPolicy. */
  readonly maxInlineWaitMs: number;
  /** Longest wait for an ARM token taken in process (default {@link MAX_BUDGET_WAIT_MS}). */
  readonly maxBudgetWaitMs?: number;
}

export class SqlClientFactory {
  /** One client per subscription id, whatever its case. */
  readonly #clients: ClientCache<SqlManagementClient>;

  /**
   * @param pacing - when given, every ARM request is paced by its budget; waits longer than allowed become
   *   retriable `ClientThrottled` errors for the backoff queue.
   */
  constructor(credential: TokenCredential, options: SqlManagementClientOptionalParams = {}, pacing?: ArmPacing) {
    const defaults = shortRetryOptions(pacing?.maxInlineWaitMs);
    const budgetPolicy =
      pacing === undefined ? undefined : armBudgetPolicy({ budget: pacing.budget, maxWaitMs: pacing.maxBudgetWaitMs ?? MAX_BUDGET_WAIT_MS });
    const clientOptions: SqlManagementClientOptionalParams = {
      retryOptions: defaults.retryOptions,
      ...options,
      additionalPolicies: [
        ...defaults.additionalPolicies,
        ...(options.additionalPolicies ?? []),
        // perRetry: every SDK retry of a request takes a token of its own, as ARM counts it.
        ...(budgetPolicy ? [{ policy: budgetPolicy, position: 'perRetry' as const }] : []),
      ],
    };
    this.#clients = new ClientCache(
      (subscriptionId) => new SqlManagementClient(credential, subscriptionId, clientOptions),
      (subscriptionId) => subscriptionId.toLowerCase(),
    );
  }

  forSubscription(subscriptionId: string): SqlManagementClient {
    return this.#clients.get(subscriptionId);
  }
}

/**
 * Options that point a SqlManagementClient at one cloud's Resource Manager (see src/domain/azureCloud.ts):
 * `endpoint` (the base of every operation URL), `$host` (the same, for the generated code that reads it), and
 * `credentialScopes` (the token audience; without it the scope follows `endpoint`, stated here so the two
 * cannot drift). Spread them into the factory's options:
 * `new SqlClientFactory(credential, { ...armCloudOptions(config.cloud), ...other })`.
 */
export function armCloudOptions(
  cloud: Pick<AzureCloud, 'armEndpoint' | 'armScope'>,
): Pick<SqlManagementClientOptionalParams, '$host' | 'endpoint' | 'credentialScopes'> {
  return { $host: cloud.armEndpoint, endpoint: cloud.armEndpoint, credentialScopes: [cloud.armScope] };
}
