/**
 * The Notifier over an HTTP webhook, in one of three payload formats:
 *
 * `generic`, `teams` (Adaptive Card for Teams Workflows) or `slack`: see formatNotification.ts.
 *
 * Sent through @azure/core-rest-pipeline so HTTPS_PROXY / NO_PROXY and NODE_EXTRA_CA_CERTS behave as for the
 * Azure clients, with two short retries. A failed delivery is logged (host name and status, never the URL:
 * webhook URLs embed their credential) and swallowed.
 *
 * The URL never reaches the SDK's own log either: the pipeline's log policy (which, with AZURE_LOG_LEVEL=info,
 * writes every request URL, path included; its sanitizer masks query values only, and Slack keeps its token in
 * the path) is removed, and the per-attempt timeout is an abort signal of ours rather than the request
 * `timeout`, whose expiry the HTTP client logs with the URL path.
 */
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  logPolicyName,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
} from '@azure/core-rest-pipeline';
import type { NotificationConfig } from '../config/appConfig.js';
import type { Logger } from '../app/ports.js';
import type { Notifier } from '../app/ports.js';
import type { RotationNotification } from '../app/rotationNotification.js';
import { formatNotification, NOTIFICATION_SOURCE } from './formatNotification.js';

export { formatNotification, MAX_LISTED_TARGETS, NOTIFICATION_SOURCE, notificationFacts, notificationLines, notificationTitle } from './formatNotification.js';

export interface WebhookNotifierOptions {
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  readonly maxRetries?: number;
  /** Tests inject an HTTP client; default: the SDK's (proxy- and CA-aware). */
  readonly httpClient?: HttpClient;
}

export class WebhookNotifier implements Notifier {
  readonly #config: NotificationConfig;
  readonly #logger: Logger;
  readonly #pipeline: Pipeline;
  readonly #client: HttpClient;
  readonly #timeoutMs: number;

  constructor(config: NotificationConfig, logger: Logger, options: WebhookNotifierOptions = {}) {
    this.#config = config;
    this.#logger = logger;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#client = options.httpClient ?? createDefaultHttpClient();
    this.#pipeline = createPipelineFromOptions({
      retryOptions: { maxRetries: options.maxRetries ?? 2, retryDelayInMs: 500, maxRetryDelayInMs: 2_000 },
      userAgentOptions: { userAgentPrefix: NOTIFICATION_SOURCE },
    });
    this.#pipeline.removePolicy({ name: logPolicyName });
    this.#pipeline.addPolicy(attemptTimeoutPolicy(this.#timeoutMs), { phase: 'Retry' });
  }

  async notify(notification: RotationNotification): Promise<void> {
    const host = hostOf(this.#config.webhookUrl);
    try {
      const request = createPipelineRequest({
        url: this.#config.webhookUrl,
        method: 'POST',
        headers: createHttpHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify(formatNotification(notification, this.#config.format)),
        // loadConfig admits http only for localhost (a local receiver); everything else is https.
        allowInsecureConnection: this.#config.webhookUrl.startsWith('http:'),
      });
      const response = await this.#pipeline.sendRequest(this.#client, request);
      if (response.status < 200 || response.status >= 300) {
        this.#logger.warn(`Notification not delivered: webhook answered ${response.status}`, {
          notification: notification.kind,
          host,
          status: response.status,
        });
      }
    } catch (e) {
      this.#logger.warn('Notification not delivered: webhook unreachable', {
        notification: notification.kind,
        host,
        error: errorText(e, this.#config.webhookUrl, host),
      });
    }
  }
}

/**
 * Aborts one attempt after `ms` (placed after the retry policy, so each retry gets its own deadline). Replaces
 * the request `timeout`, whose expiry the HTTP client logs with the URL path.
 */
function attemptTimeoutPolicy(ms: number): PipelinePolicy {
  return {
    name: 'webhookAttemptTimeout',
    async sendRequest(request, next) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ms);
      const outer = request.abortSignal;
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } finally {
        clearTimeout(timer);
        if (outer === undefined) delete request.abortSignal;
        else request.abortSignal = outer;
      }
    },
  };
}

/** The error's code and message, with the webhook URL (which embeds its credential) cut down to its host. */
function errorText(e: unknown, url: string, host: string): string {
  if (!(e instanceof Error)) return 'non-error thrown';
  const code = (e as { code?: unknown }).code;
  const message = e.message.split(url).join(host).replace(/https?:\/\/\S+/g, host);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

