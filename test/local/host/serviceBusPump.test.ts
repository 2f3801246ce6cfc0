import { describe, expect, it } from 'vitest';
import type { TriggerMetadata } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { receivedMessageMetadata, ServiceBusPump, type ServiceBusPumpClient } from '../../../src/local/host/serviceBusPump.js';

describe('Function: receivedMessageMetadata', () => {
  it('gives the trigger the metadata the Functions Service Bus extension provides', () => {
    const enqueued = new Date('2025-08-01T10:00:00Z');
    const message = {
      body: { kind: 'serverKey' },
      messageId: 'abc',
      deliveryCount: 2,
      enqueuedTimeUtc: enqueued,
      sequenceNumber: { toString: () => '42' },
      correlationId: 'event-1',
      subject: 'serverKey',
      contentType: 'application/json',
      lockToken: 'lock-1',
      applicationProperties: { kind: 'serverKey', attempt: 2 },
    } as unknown as ServiceBusReceivedMessage;

    expect(receivedMessageMetadata(message)).toEqual({
      messageId: 'abc',
      deliveryCount: 2,
      enqueuedTimeUtc: enqueued.toISOString(),
      sequenceNumber: '42',
      correlationId: 'event-1',
      subject: 'serverKey',
      label: 'serverKey',
      contentType: 'application/json',
      lockToken: 'lock-1',
      applicationProperties: { kind: 'serverKey', attempt: 2 },
      userProperties: { kind: 'serverKey', attempt: 2 },
    });
  });
});

/** A session of the fake namespace: hands out its messages in order, records settlements. */
class FakeSession {
  readonly completed: string[] = [];
  readonly abandoned: string[] = [];
  closed = false;
  constructor(
    readonly sessionId: string,
    private readonly messages: ServiceBusReceivedMessage[],
  ) {}
  receiveMessages(): Promise<ServiceBusReceivedMessage[]> {
    const m = this.messages.shift();
    return Promise.resolve(m === undefined ? [] : [m]);
  }
  completeMessage(m: ServiceBusReceivedMessage): Promise<void> {
    this.completed.push(String(m.messageId));
    return Promise.resolve();
  }
  abandonMessage(m: ServiceBusReceivedMessage): Promise<void> {
    this.abandoned.push(String(m.messageId));
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A session-enabled queue: `acceptNextSession` hands out each session once, then waits until aborted. */
class FakeSessionClient {
  accepted = 0;
  constructor(private readonly sessions: (FakeSession | Error)[]) {}
  acceptNextSession(_queue: string, options: { abortSignal?: AbortSignal }): Promise<FakeSession> {
    const next = this.sessions.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next !== undefined) {
      this.accepted++;
      return Promise.resolve(next);
    }
    return new Promise((_, reject) => options.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))));
  }
  createReceiver(): never {
    throw new Error('a session-enabled queue needs session receivers');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const message = (sessionId: string, n: number) =>
  ({ body: { n }, messageId: `${sessionId}-${n}`, sessionId, deliveryCount: 1 }) as unknown as ServiceBusReceivedMessage;

describe('Class: ServiceBusPump (sessions)', () => {
  function startPump(client: FakeSessionClient, handle: (body: unknown, meta: TriggerMetadata) => Promise<void>, logs: string[] = []) {
    const pump = new ServiceBusPump({
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      queueName: 'sql-key-rotation',
      concurrency: 2,
      sessions: true,
      handle,
      log: (r) => logs.push(r.message),
      createClient: () => client as unknown as ServiceBusPumpClient,
    });
    pump.start();
    return pump;
  }

  it('handles each session one message at a time, in order, sessions in parallel, completing each', async () => {
    // Prepare: the first message of each session waits until the other session has started
    const a = new FakeSession('a', [message('a', 1), message('a', 2), message('a', 3)]);
    const b = new FakeSession('b', [message('b', 1), message('b', 2), message('b', 3)]);
    const client = new FakeSessionClient([a, b]);
    const started = new Map<string, () => void>();
    const both = Promise.all(['a', 'b'].map((s) => new Promise<void>((r) => started.set(s, r))));
    const inFlight = new Map<string, number>();
    const seen: string[] = [];
    let maxPerSession = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));

    // Act
    const pump = startPump(client, async (body, meta) => {
      const session = String(meta['sessionId']);
      inFlight.set(session, (inFlight.get(session) ?? 0) + 1);
      maxPerSession = Math.max(maxPerSession, inFlight.get(session)!);
      started.get(session)!();
      await both;
      seen.push(`${session}-${(body as { n: number }).n}`);
      inFlight.set(session, inFlight.get(session)! - 1);
      if (seen.length === 6) finish();
    });
    await finished;
    await pump.stop();

    // Assess
    expect(maxPerSession).toBe(1);
    expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a-1', 'a-2', 'a-3']);
    expect(a.completed).toEqual(['a-1', 'a-2', 'a-3']);
    expect(b.completed).toEqual(['b-1', 'b-2', 'b-3']);
    expect([a.closed, b.closed]).toEqual([true, true]);
  });

  it('abandons a message whose handler throws, and keeps going after a ServiceTimeout with no session', async () => {
    const noSession = Object.assign(new Error('no session available'), { code: 'ServiceTimeout' });
    const a = new FakeSession('a', [message('a', 1), message('a', 2)]);
    const client = new FakeSessionClient([noSession, a]);
    const logs: string[] = [];
    let calls = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));

    const pump = startPump(
      client,
      async (body) => {
        if (++calls === 2) finish();
        if ((body as { n: number }).n === 1) throw new Error('handler failed');
        return Promise.resolve();
      },
      logs,
    );
    await finished;
    await pump.stop();

    expect(a.abandoned).toEqual(['a-1']);
    expect(a.completed).toEqual(['a-2']);
    expect(logs).toEqual([]);
  });
});
