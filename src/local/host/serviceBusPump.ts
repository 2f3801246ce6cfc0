/**
 * Feeds the Service Bus queue trigger from a real Service Bus queue when a namespace is configured
 * (`ServiceBusConnection__fullyQualifiedNamespace`, managed identity / developer credential): a peek-lock receiver
 * that completes on success and abandons on throw, as the Functions extension does with auto-complete.
 */
import type { TriggerMetadata } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver } from '@azure/service-bus';
import type { HostLogSink } from './hostLog.js';

export interface ServiceBusPumpOptions {
  readonly fullyQualifiedNamespace: string;
  readonly queueName: string;
  readonly concurrency: number;
  readonly handle: (body: unknown, triggerMetadata: TriggerMetadata) => Promise<void>;
  readonly log: HostLogSink;
}

/** The trigger metadata the Functions host provides for a Service Bus message. */
export function receivedMessageMetadata(m: ServiceBusReceivedMessage): TriggerMetadata {
  return {
    messageId: typeof m.messageId === 'string' ? m.messageId : String(m.messageId ?? ''),
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
  private client: ServiceBusClient | undefined;
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ServiceBusPumpOptions) {}

  start(): void {
    const { fullyQualifiedNamespace, queueName, concurrency, log } = this.options;
    this.client = new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential());
    this.receiver = this.client.createReceiver(queueName, { receiveMode: 'peekLock' });
    this.subscription = this.receiver.subscribe(
      {
        processMessage: (m) => this.track(this.options.handle(m.body, receivedMessageMetadata(m))),
        processError: async (args) => {
          log({
            time: new Date(),
            level: 'error',
            category: 'Queue',
            message: `Service Bus receiver error (${args.errorSource}) on ${args.entityPath}: ${args.error.message}`,
          });
          return Promise.resolve();
        },
      },
      // Throwing from processMessage abandons the message; success completes it.
      { autoCompleteMessages: true, maxConcurrentCalls: concurrency },
    );
  }

  /** Stops receiving, waits for the messages in flight, closes the connection. */
  async stop(): Promise<void> {
    await this.subscription?.close();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.receiver?.close();
    await this.client?.close();
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }
}
