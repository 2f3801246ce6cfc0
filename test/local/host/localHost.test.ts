import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvocationContext, Timer } from '@azure/functions';
import type { FunctionDefinition } from '../../../src/functionsHost/functionDefinition.js';
import { WORK_QUEUE_TRIGGER } from '../../../src/functionsHost/functionDefinition.js';
import type { HostLogRecord } from '../../../src/local/host/formatLogRecord.js';
import { startLocalHost, type LocalHost, type LocalHostOptions } from '../../../src/local/host/localHost.js';
import { LocalDurableQueue, MAX_DELIVERY_COUNT_EXCEEDED } from '../../../src/local/queue/localDurableQueue.js';
import { reconcileItem } from '../queue/queueFixtures.js';

interface Call {
  readonly input: unknown;
  readonly context: InvocationContext;
}

/** Function definitions whose handlers record their calls (and optionally fail). */
function recordingFunctions(options: { failQueue?: (input: unknown, deliveryCount: number) => boolean } = {}) {
  const calls: Record<'event' | 'timer' | 'queue', Call[]> = { event: [], timer: [], queue: [] };
  const defs: FunctionDefinition[] = [
    {
      name: 'keyNewVersionCreated',
      trigger: { type: 'eventGrid' },
      handler: async (input: unknown, context: InvocationContext) => {
        calls.event.push({ input, context });
        return Promise.resolve();
      },
    },
    {
      name: 'syncAgentKeyRotation',
      trigger: { type: 'timer', schedule: '%SYNC_AGENT_ROTATION_SCHEDULE%', runOnStartup: false },
      handler: async (input: Timer, context: InvocationContext) => {
        calls.timer.push({ input, context });
        return Promise.resolve();
      },
    },
    {
      name: 'rotationWorker',
      trigger: WORK_QUEUE_TRIGGER,
      handler: async (input: unknown, context: InvocationContext) => {
        calls.queue.push({ input, context });
        const count = Number(context.triggerMetadata?.['deliveryCount']);
        if (options.failQueue?.(input, count) === true) throw new Error('handler failed');
        return Promise.resolve();
      },
    },
  ];
  return { calls, defs };
}

const item = reconcileItem();

const eventGridEvent = (id: string) => ({
  id,
  topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-tde',
  subject: 'tde-key',
  eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
  eventTime: '2025-08-01T10:00:00Z',
  data: { Id: 'https://contoso-tde.vault.azure.net/keys/tde-key/abc', VaultName: 'contoso-tde', ObjectType: 'Key', ObjectName: 'tde-key', Version: 'abc' },
  dataVersion: '1',
  metadataVersion: '1',
});

const cloudEvent = (id: string) => ({
  specversion: '1.0',
  id,
  source: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-tde',
  subject: 'tde-key',
  type: 'Microsoft.KeyVault.KeyNewVersionCreated',
  time: '2025-08-01T10:00:00Z',
  data: { Id: 'https://contoso-tde.vault.azure.net/keys/tde-key/abc', VaultName: 'contoso-tde', ObjectType: 'Key', ObjectName: 'tde-key', Version: 'abc' },
});

describe('Function: startLocalHost', () => {
  let dir: string;
  const hosts: LocalHost[] = [];
  const queues: LocalDurableQueue[] = [];
  let logs: HostLogRecord[];

  async function start(defs: FunctionDefinition[], extra: Partial<LocalHostOptions> = {}): Promise<LocalHost> {
    const host = await startLocalHost({
      functions: defs,
      port: 0,
      env: {},
      queueDir: join(dir, 'queue'),
      log: (r) => logs.push(r),
      pollIntervalMs: 10,
      ...extra,
    });
    hosts.push(host);
    return host;
  }

  function webhook(host: LocalHost, name = 'keyNewVersionCreated'): string {
    return host.eventGridWebhookUrl(name);
  }

  /** An Event Grid delivery: a POST of the JSON body to the function's webhook, with these headers. */
  function deliver(host: LocalHost, headers: Record<string, string>, body: unknown): Promise<Response> {
    return fetch(webhook(host), { method: 'POST', headers, body: JSON.stringify(body) });
  }

  /** An admin request as an operator's tool sends it: the run's key, a JSON body. */
  function admin(host: LocalHost, path: string, body?: unknown): Promise<Response> {
    return fetch(`${host.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'x-functions-key': host.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-host-'));
    logs = [];
  });

  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    for (const q of queues.splice(0)) await q.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports Running on the status endpoint once started', async () => {
    const host = await start(recordingFunctions().defs);

    const res = await admin(host, '/admin/host/status');

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'Running' });
  });

  it('invokes the function once per event of an Event Grid delivery', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    const res = await deliver(host, { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }, [eventGridEvent('e1'), eventGridEvent('e2')]);

    expect(res.status).toBe(200);
    expect(calls.event.map((c) => (c.input as { id: string }).id)).toEqual(['e1', 'e2']);
    expect(calls.event[0]!.context.functionName).toBe('keyNewVersionCreated');
  });

  it('answers the Event Grid SubscriptionValidation handshake without invoking the function', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    const res = await deliver(host, { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, [
      {
        id: 'v1',
        topic: '/subscriptions/s',
        subject: '',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2025-08-01T10:00:00Z',
        data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://example.invalid/validate' },
        dataVersion: '1',
        metadataVersion: '1',
      },
    ]);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(calls.event).toEqual([]);
  });

  it('invokes the function for a single CloudEvent', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    const res = await deliver(host, { 'content-type': 'application/cloudevents+json; charset=utf-8' }, cloudEvent('c1'));

    expect(res.status).toBe(200);
    expect(calls.event.map((c) => c.input)).toEqual([cloudEvent('c1')]);
  });

  it('invokes the function once per CloudEvent of a batch', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    const res = await deliver(host, { 'content-type': 'application/cloudevents-batch+json' }, [cloudEvent('c1'), cloudEvent('c2'), cloudEvent('c3')]);

    expect(res.status).toBe(200);
    expect(calls.event.map((c) => (c.input as { id: string }).id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('answers the CloudEvents webhook validation request with the allowed origin', async () => {
    const host = await start(recordingFunctions().defs);

    const res = await fetch(webhook(host), {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('answers 404 for an unknown function and 400 for a body that is not JSON', async () => {
    const host = await start(recordingFunctions().defs);

    const unknown = await fetch(webhook(host, 'nope'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: '[]',
    });
    const bad = await fetch(webhook(host), { method: 'POST', headers: { 'aeg-event-type': 'Notification' }, body: '[{' });
    const unknownAdmin = await admin(host, '/admin/functions/nope', {});

    expect(unknown.status).toBe(404);
    expect(bad.status).toBe(400);
    expect(unknownAdmin.status).toBe(404);
  });

  it('answers 500 when a handler throws so that Event Grid redelivers', async () => {
    const defs: FunctionDefinition[] = [
      { name: 'keyNewVersionCreated', trigger: { type: 'eventGrid' }, handler: () => Promise.reject(new Error('boom')) },
    ];
    const host = await start(defs);

    const res = await deliver(host, { 'aeg-event-type': 'Notification' }, [eventGridEvent('e1')]);

    expect(res.status).toBe(500);
    expect(logs.some((l) => l.level === 'error' && l.message.includes('boom'))).toBe(true);
  });

  it('runs a timer function through the admin endpoint with a Timer input, answering 202', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs, { timers: false });

    const res = await admin(host, '/admin/functions/syncAgentKeyRotation', { input: '' });
    await host.whenIdle();

    expect(res.status).toBe(202);
    expect(calls.timer).toHaveLength(1);
    expect(calls.timer[0]!.input).toMatchObject({ isPastDue: false, scheduleStatus: expect.any(Object) });
  });

  it('passes the admin input of a queue function as its message body', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    const res = await admin(host, '/admin/functions/rotationWorker', { input: JSON.stringify(item) });
    await host.whenIdle();

    expect(res.status).toBe(202);
    expect(calls.queue.map((c) => c.input)).toEqual([item]);
  });

  it('runs a timer on startup when the definition asks for it', async () => {
    const { calls, defs } = recordingFunctions();
    const timer = defs[1]!;
    const host = await start([{ ...timer, trigger: { ...timer.trigger, runOnStartup: true } } as FunctionDefinition]);

    await host.whenIdle();

    expect(calls.timer).toHaveLength(1);
  });

  it('rejects a schedule that is not six-field NCRONTAB', async () => {
    const { defs } = recordingFunctions();

    await expect(start(defs, { env: { SYNC_AGENT_ROTATION_SCHEDULE: '0 3 * * 0' } })).rejects.toThrow(/six-field/);
  });

  it('feeds the queue trigger from the embedded queue with Service Bus trigger metadata', async () => {
    const { calls, defs } = recordingFunctions();
    const host = await start(defs);

    await host.queue!.schedule([item]);
    await host.whenIdle();

    expect(calls.queue).toHaveLength(1);
    expect(calls.queue[0]!.input).toEqual(item);
    expect(calls.queue[0]!.context.triggerMetadata).toMatchObject({
      deliveryCount: 1,
      correlationId: 'event-1',
      sessionId: item.target.toLowerCase(),
      applicationProperties: { kind: 'reconcile', attempt: 1 },
    });
    expect(typeof calls.queue[0]!.context.triggerMetadata!['messageId']).toBe('string');
  });

  it('redelivers a message whose handler throws, then dead-letters it at the max delivery count', async () => {
    const { calls, defs } = recordingFunctions({ failQueue: () => true });
    const host = await start(defs, { maxDeliveryCount: 3 });

    await host.queue!.schedule([item]);
    await host.whenIdle();

    expect(calls.queue.map((c) => c.context.triggerMetadata!['deliveryCount'])).toEqual([1, 2, 3]);
    expect((await host.queue!.listDeadLetters()).map((d) => d.reason)).toEqual([MAX_DELIVERY_COUNT_EXCEEDED]);
  });

  it('completes a message once a redelivery succeeds', async () => {
    const { calls, defs } = recordingFunctions({ failQueue: (_, count) => count < 2 });
    const host = await start(defs);

    await host.queue!.schedule([item]);
    await host.whenIdle();

    expect(calls.queue).toHaveLength(2);
    expect(await host.queue!.listDeadLetters()).toEqual([]);
  });

  it('finishes scheduled messages left by a previous host on the same queue directory', async () => {
    // Prepare: a first host stops with a retry scheduled in the near future
    const first = recordingFunctions();
    const host1 = await start(first.defs);
    await host1.queue!.schedule([{ ...item, attempt: 2 }], new Date(Date.now() + 300));
    await host1.stop();

    // Act
    const second = recordingFunctions();
    const host2 = await start(second.defs);
    await host2.whenIdle();

    // Assess
    expect(first.calls.queue).toEqual([]);
    expect(second.calls.queue.map((c) => c.input)).toEqual([{ ...item, attempt: 2 }]);
  });

  it('uses a queue handed in by the caller and leaves it open on stop', async () => {
    const queue = await LocalDurableQueue.open({ dir: join(dir, 'own') });
    queues.push(queue);
    const host = await start(recordingFunctions().defs, { queue });

    await host.stop();

    expect(host.queue).toBe(queue);
    await expect(queue.schedule([item])).resolves.toBeUndefined();
  });

  it('stops gracefully: waits for invocations in flight and reports Stopped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    const defs: FunctionDefinition[] = [
      {
        name: 'slow',
        trigger: { type: 'timer', schedule: '0 0 0 1 1 *', runOnStartup: false },
        handler: async () => {
          await gate;
          finished = true;
        },
      },
    ];
    const host = await start(defs);
    await admin(host, '/admin/functions/slow', {});

    const stopped = host.stop();
    setTimeout(release, 20);
    await stopped;

    expect(finished).toBe(true);
    expect(host.state).toBe('Stopped');
  });
});
