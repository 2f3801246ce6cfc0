/**
 * Feeds the Service Bus queue trigger from a real Service Bus queue when a namespace is configured
 * (`ServiceBusConnection__fullyQualifiedNamespace`, managed identity / developer credential), as the Functions
 * extension does with auto-complete: complete on success, abandon on throw.
 *
 * With sessions (`isSessionsEnabled` on the trigger, a session-enabled queue) each of the `concurrency` slots
 * accepts the next free session (`acceptNextSession`), handles its messages one at a time in order, and lets the
 * session go once it has been idle for `sessionIdleTimeoutMs` (host.json `sessionIdleTimeout`), so that one target
 * is handled by one invocation at a time across every host and instance. Without sessions, a plain peek-lock
 * receiver with `maxConcurrentCalls`.
 */
import type { TriggerMetadata } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import type { HostLogSink } from './formatLogRecord.js';

/** host.json `extensions.serviceBus.sessionIdleTimeout` of this app. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 5_000;
/** Pause after an unexpected error accepting a session, so that an outage does not spin. */
const ACCEPT_ERROR_PAUSE_MS = 1_000;

/** What the pump uses of a Service Bus client (the real one, or a test double). */
export type ServiceBusPumpClient = Pick<ServiceBusClient, 'createReceiver' | 'acceptNextSession' | 'close'>;

export interface ServiceBusPumpOptions {
  readonly fullyQualifiedNamespace: string;
  readonly queueName: string;
  /** Messages (with sessions: sessions) handled at once. */
  readonly concurrency: number;
  /** The trigger's `isSessionsEnabled`. Default false. */
  readonly sessions?: boolean;
  /** How long a session without messages keeps its slot. Default 5 s. */
  readonly sessionIdleTimeoutMs?: number;
  readonly handle: (body: unknown, triggerMetadata: TriggerMetadata) => Promise<void>;
  readonly log: HostLogSink;
  /** Default: a ServiceBusClient for the namespace with DefaultAzureCredential. */
  readonly createClient?: () => ServiceBusPumpClient;
}

/** The trigger metadata the Functions host provides for a Service Bus message. */
export function receivedMessageMetadata(m: ServiceBusReceivedMessage): TriggerMetadata {
  return {
    messageId: typeof m.messageId === 'string' ? m.messageId : String(m.messageId ?? ''),
    ...(m.sessionId === undefined ? {} : { sessionId: m.sessionId }),
    deliveryCount: m.deliveryCount ?? 0,
    enqueuedTimeUtc: m.enqueuedTimeUtc?.toISOString() ?? '',
    sequenceNumber: m.sequenceNumber?.toString() ?? '',
    correlationId: typeof m.correlationId === 'string' ? m.correlationId : '',
    subject: m.subject ?? '',
    label: m.subject ?? '',
    contentType: m.contentType ?? '',
    lockToken: m.lockToken ?? '',
    applicationProperties: { ...(m.applicationProperties ?? {}) },
    userProperties: { ...(m.applicationProperties ?? {}) },
  };
}

export class ServiceBusPump {
  private client: ServiceBusPumpClient | undefined;
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly options: ServiceBusPumpOptions) {}

  start(): void {
    const { fullyQualifiedNamespace, queueName, concurrency } = this.options;
    this.client =
      this.options.createClient?.() ?? new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential());
    if (this.options.sessions === true) {
      for (let i = 0; i < concurrency; i++) this.slots.push(this.sessionSlot(this.client));
      return;
    }
    this.receiver = this.client.createReceiver(queueName, { receiveMode: 'peekLock' });
    this.subscription = this.receiver.subscribe(
      {
        processMessage: (m) => this.track(this.options.handle(m.body, receivedMessageMetadata(m))),
        processError: async (args) => {
          this.logError(`Service Bus receiver error (${args.errorSource}) on ${args.entityPath}: ${args.error.message}`);
          return Promise.resolve();
        },
      },
      // Throwing from processMessage abandons the message; success completes it.
      { autoCompleteMessages: true, maxConcurrentCalls: concurrency },
    );
  }

  /** Stops receiving, waits for the messages in flight, closes the connection. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.subscription?.close();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.slots);
    await this.receiver?.close();
    await this.client?.close();
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** One slot: accept a session, drain it one message at a time, let it go when idle, repeat. */
  private async sessionSlot(client: ServiceBusPumpClient): Promise<void> {
    const { queueName } = this.options;
    const idleMs = this.options.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS;
    while (!this.stopping) {
      let session: ServiceBusSessionReceiver;
      try {
        session = await client.acceptNextSession(queueName, { receiveMode: 'peekLock', abortSignal: this.abort.signal });
      } catch (error) {
        if (this.stopping) return;
        // ServiceTimeout: no session had messages within the operation timeout; that is waiting, not failing.
        if (errorCode(error) === 'ServiceTimeout' || errorCode(error) === 'SessionCannotBeLocked') continue;
        this.logError(`Service Bus: accepting a session on ${queueName} failed: ${errorMessage(error)}`);
        await pause(ACCEPT_ERROR_PAUSE_MS, this.abort.signal);
        continue;
      }
      try {
        while (!this.stopping) {
          const [m] = await session.receiveMessages(1, { maxWaitTimeInMs: idleMs, abortSignal: this.abort.signal });
          if (m === undefined) break; // idle: free the slot for another session
          await this.track(this.settle(session, m));
        }
      } catch (error) {
        // A lost session lock or a stop: the unsettled message is redelivered to whoever takes the session next.
        if (!this.stopping) this.logError(`Service Bus: session ${session.sessionId} ended: ${errorMessage(error)}`);
      } finally {
        await session.close().catch(() => undefined);
      }
    }
  }

  private async settle(session: ServiceBusSessionReceiver, m: ServiceBusReceivedMessage): Promise<void> {
    try {
      await this.options.handle(m.body, receivedMessageMetadata(m));
    } catch {
      await session.abandonMessage(m); // the invocation already logged the failure
      return;
    }
    await session.completeMessage(m);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private logError(message: string): void {
    this.options.log({ time: new Date(), level: 'error', category: 'Queue', message });
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
