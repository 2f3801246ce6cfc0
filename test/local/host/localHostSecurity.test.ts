import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionDefinition } from '../../../src/functionsHost/functionDefinition.js';
import type { HostLogRecord } from '../../../src/local/host/formatLogRecord.js';
import { startLocalHost, type LocalHost } from '../../../src/local/host/localHost.js';
import { MAX_REQUEST_BODY_BYTES } from '../../../src/local/host/checkRequest.js';

interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** A request with full control of its headers (fetch will not send a foreign Host). */
function raw(host: LocalHost, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, path, method: options.method ?? 'POST', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined && options.chunked === true) {
      // No content-length: the host learns the size only while reading.
      const half = Math.ceil(options.body.length / 2);
      req.write(options.body.slice(0, half));
      req.end(options.body.slice(half));
    } else {
      req.end(options.body);
    }
  });
}

describe('Function: startLocalHost (request security)', () => {
  let dir: string;
  let host: LocalHost;
  let invoked: string[];
  let logs: HostLogRecord[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-host-security-'));
    invoked = [];
    logs = [];
    const defs: FunctionDefinition[] = [
      {
        name: 'keyNewVersionCreated',
        trigger: { type: 'eventGrid' },
        handler: async (event: unknown) => {
          invoked.push(`event:${(event as { id: string }).id}`);
          return Promise.resolve();
        },
      },
      {
        name: 'syncAgentKeyRotation',
        trigger: { type: 'timer', schedule: '0 0 3 * * 0', runOnStartup: false },
        handler: async () => {
          invoked.push('timer');
          return Promise.resolve();
        },
      },
    ];
    host = await startLocalHost({ functions: defs, port: 0, env: {}, queueDir: join(dir, 'queue'), log: (r) => logs.push(r), timers: false });
  });

  afterEach(async () => {
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const adminPath = '/admin/functions/syncAgentKeyRotation';
  const event = (id: string) => [
    {
      id,
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v',
      subject: 'k',
      eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
      eventTime: '2025-08-01T10:00:00Z',
      data: {},
      dataVersion: '1',
      metadataVersion: '1',
    },
  ];

  it('accepts an admin request with the key and a JSON body', async () => {
    const res = await fetch(`${host.url}${adminPath}`, {
      method: 'POST',
      headers: { 'x-functions-key': host.key, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    await host.whenIdle();

    expect(res.status).toBe(202);
    expect(invoked).toEqual(['timer']);
  });

  it('accepts an Event Grid delivery on the webhook URL, which carries the key as ?code=', async () => {
    const res = await fetch(host.eventGridWebhookUrl('keyNewVersionCreated'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
      body: JSON.stringify(event('e1')),
    });

    expect(host.eventGridWebhookUrl('keyNewVersionCreated')).toContain(`code=${host.key}`);
    expect(res.status).toBe(200);
    expect(invoked).toEqual(['event:e1']);
  });

  it('refuses a cross-origin text/plain post, as a web page would send it, even with the key', async () => {
    const res = await fetch(`${host.url}${adminPath}`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'content-type': 'text/plain', 'x-functions-key': host.key },
      body: '{"input":""}',
    });

    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/cross-origin/);
    expect(invoked).toEqual([]);
  });

  it('refuses a text/plain admin post without an Origin', async () => {
    const res = await fetch(`${host.url}${adminPath}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-functions-key': host.key },
      body: '{"input":""}',
    });

    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toMatch(/application\/json/);
    expect(invoked).toEqual([]);
  });

  it('refuses admin and Event Grid requests without the key, or with another key', async () => {
    const noKey = await fetch(`${host.url}${adminPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const status = await fetch(`${host.url}/admin/host/status`);
    const wrongKey = await fetch(`${host.url}${adminPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': `${host.key}x` },
      body: '{}',
    });
    const eventNoKey = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=keyNewVersionCreated`, {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify(event('e1')),
    });

    expect([noKey.status, status.status, wrongKey.status, eventNoKey.status]).toEqual([401, 401, 401, 401]);
    expect(((await noKey.json()) as { error: string }).error).toMatch(/x-functions-key/);
    expect(invoked).toEqual([]);
  });

  it('refuses a request whose Host is not a loopback name (DNS rebinding)', async () => {
    const res = await raw(host, `/admin/host/status?code=${host.key}`, { method: 'GET', headers: { host: `attacker.example:${host.port}` } });
    const loopback = await raw(host, `/admin/host/status?code=${host.key}`, { method: 'GET', headers: { host: `localhost:${host.port}` } });

    expect(res.status).toBe(403);
    expect(res.body).toMatch(/not a loopback/);
    expect(loopback.status).toBe(200);
  });

  it('refuses a body over 1 MB, announced or streamed', async () => {
    const big = JSON.stringify([{ pad: 'x'.repeat(MAX_REQUEST_BODY_BYTES) }]);
    const path = `/runtime/webhooks/eventgrid?functionName=keyNewVersionCreated&code=${host.key}`;
    const headers = { 'aeg-event-type': 'Notification', 'content-type': 'application/json' };

    const announced = await raw(host, path, { headers, body: big });
    const streamed = await raw(host, path, { headers, body: big, chunked: true });

    expect([announced.status, streamed.status]).toEqual([413, 413]);
    expect(streamed.body).toMatch(/larger than 1048576 bytes/);
    expect(invoked).toEqual([]);
  });

  it('prints the key once at start', () => {
    expect(logs.filter((l) => l.message.includes(host.key))).toHaveLength(1);
    expect(host.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
