import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DefaultAzureCredential } from '@azure/identity';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import { ArmSyncAgents } from '../../src/azure/armSyncAgents.js';
import { SqlClientFactory } from '../../src/azure/sqlClientFactory.js';
import { isRotationError, type RotationError } from '../../src/domain/errors.js';
import type { RunningEmulator } from '@sql-key-rotation/local-azure';
import { safeStringify } from '../support/fakes/captureLogger.js';
import { startTestEmulator, testEstate, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID } from '../support/emulator.js';

const SERVER = `/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.Sql/servers/sql-primary`;
const agent = (name: string): string => `${SERVER}/syncAgents/${name}`;

/** The test estate with three agents on sql-primary (more than one page at page size 2). */
function estateWithAgents() {
  const estate = testEstate();
  const rg = estate.subscriptions[0]!.resourceGroups[0]!;
  const servers = rg.servers.map((s) =>
    s.name === 'sql-primary'
      ? {
          ...s,
          syncAgents: [
            { name: 'agent-1' },
            { name: 'agent-2', pickupAfterSeconds: 120 },
            { name: 'agent-3', state: 'NeverConnected' as const },
            { name: 'agent-4', state: 'Offline' as const, lastAliveTime: '2026-01-02T03:04:05.000Z' },
          ],
        }
      : s,
  );
  return {
    ...estate,
    subscriptions: [{ ...estate.subscriptions[0]!, resourceGroups: [{ ...rg, servers }, ...estate.subscriptions[0]!.resourceGroups.slice(1)] }],
  };
}

async function rejection(p: Promise<unknown>): Promise<RotationError> {
  try {
    await p;
  } catch (e) {
    if (isRotationError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('Class: ArmSyncAgents (against the emulator)', () => {
  let emulator: RunningEmulator;
  let agents: ArmSyncAgents;
  /** The emulator's clock runs this far ahead of the real one (moved by tests instead of sleeping). */
  let offsetMs = 0;

  beforeAll(async () => {
    emulator = await startTestEmulator({ estate: estateWithAgents(), clock: () => Date.now() + offsetMs });
    // SDK retries off: these tests are about what reaches the use case.
    agents = new ArmSyncAgents(new SqlClientFactory(new DefaultAzureCredential(), { retryOptions: { maxRetries: 0 } }));
  });
  afterEach(() => emulator.faults.clear());
  afterAll(async () => {
    await emulator.stop();
  });

  it('lists every sync agent of a server across pages', async () => {
    const ids = await agents.listSyncAgents(SERVER);

    expect(ids.map((id) => id.toLowerCase()).sort()).toEqual(
      [agent('agent-1'), agent('agent-2'), agent('agent-3'), agent('agent-4')].map((id) => id.toLowerCase()),
    );
    expect(emulator.stats.count('arm.syncAgents.listByServer')).toBeGreaterThanOrEqual(2);
  });

  it('returns the regenerated key as a Secret equal to the agent current key, printed redacted', async () => {
    const key = await agents.generateKey(agent('agent-1'));

    const state = emulator.state.server(TEST_SUBSCRIPTION_ID, TEST_RESOURCE_GROUP, 'sql-primary')?.syncAgents.get('agent-1');
    expect(key.reveal()).toBe(state?.currentKey);
    expect(String(key)).toBe('[redacted]');
    expect(JSON.stringify({ key })).toBe('{"key":"[redacted]"}');
    expect(inspect(key)).not.toContain(state!.currentKey!);
  });

  it('reports an unknown agent as a terminal 404 naming the agent', async () => {
    const err = await rejection(agents.generateKey(agent('no-such-agent')));

    expect(err.errorClass).toBe('terminal');
    expect(err.details).toMatchObject({ agent: agent('no-such-agent'), statusCode: 404 });
  });

  it('reports a 503 from generateKey as retriable with the Retry-After floor', async () => {
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.syncAgents.generateKey', times: 1, retryAfterSeconds: 7 });

    const err = await rejection(agents.generateKey(agent('agent-2')));

    expect(err.errorClass).toBe('retriable');
    expect(err.details).toMatchObject({ agent: agent('agent-2'), statusCode: 503, retryAfterMs: 7_000 });
    expect(err.cause).toBeUndefined();
  });

  it('reads the state and last alive time of an agent through a key regeneration and its pickup', async () => {
    // Prepare: agent-2's host submits a new key 120 s after it is generated
    const before = await agents.getSyncAgent(agent('agent-2'));
    // Act: regenerate, then look 1 s and 121 s later (the emulator's clock moves, nothing sleeps)
    await agents.generateKey(agent('agent-2'));
    const rotatedAt = Date.now() + offsetMs;
    offsetMs += 1_000;
    const dropped = await agents.getSyncAgent(agent('agent-2'));
    offsetMs += 120_000;
    const back = await agents.getSyncAgent(agent('agent-2'));
    // Assess
    expect(before.state).toBe('Online');
    expect(dropped.state).toBe('Offline');
    expect(dropped.lastAliveTime!.getTime()).toBeLessThanOrEqual(rotatedAt);
    expect(dropped.lastAliveTime!.getTime()).toBeGreaterThan(rotatedAt - 5_000);
    expect(back.state).toBe('Online');
    expect(back.lastAliveTime!.getTime()).toBeGreaterThan(rotatedAt);
  });

  it('reports an agent whose host never submits the new key as Offline, last alive at the rotation', async () => {
    await agents.generateKey(agent('agent-1'));
    offsetMs += 3_600_000;

    const agent1 = await agents.getSyncAgent(agent('agent-1'));

    expect(agent1.state).toBe('Offline');
    expect(Date.now() + offsetMs - agent1.lastAliveTime!.getTime()).toBeGreaterThanOrEqual(3_600_000);
  });

  it('reports a never-connected agent without a last alive time, and an offline one with its own', async () => {
    expect(await agents.getSyncAgent(agent('agent-3'))).toEqual({ state: 'NeverConnected' });
    expect(await agents.getSyncAgent(agent('agent-4'))).toEqual({ state: 'Offline', lastAliveTime: new Date('2026-01-02T03:04:05.000Z') });
  });

  it('reports an unknown agent read as a terminal 404 naming the agent', async () => {
    const err = await rejection(agents.getSyncAgent(agent('ghost')));

    expect(err).toMatchObject({ errorClass: 'terminal', details: { agent: agent('ghost'), statusCode: 404 } });
  });

  it('reports a server whose agents cannot be listed, naming the server', async () => {
    emulator.faults.inject({ kind: 'throttle', route: 'arm.syncAgents.listByServer', times: 1, retryAfterSeconds: 3 });

    const err = await rejection(agents.listSyncAgents(SERVER));

    expect(err.errorClass).toBe('retriable');
    expect(err.details).toMatchObject({ server: SERVER, statusCode: 429, retryAfterMs: 3_000 });
  });
});

describe('Class: ArmSyncAgents (injected HTTP client)', () => {
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const KEY = '865f9998-6dae-4214-bbb1-4796b7c76ca0:c2VjcmV0LXBhcnQtb25l:c2VjcmV0LXBhcnQtdHdv';
  const answering = (status: number, bodyAsText: string): HttpClient => ({
    sendRequest: (request) =>
      Promise.resolve({ status, request, bodyAsText, headers: createHttpHeaders({ 'content-type': 'application/json' }) }),
  });
  const withClient = (httpClient: HttpClient) =>
    new ArmSyncAgents(new SqlClientFactory(credential, { httpClient, retryOptions: { maxRetries: 0 } }));

  it('withholds a 200 body that cannot be read, since it holds the new key', async () => {
    const err = await rejection(withClient(answering(200, `{"syncAgentKey": "${KEY}"`)).generateKey(agent('agent-1')));

    expect(err).toMatchObject({ code: 'UnexpectedResponse', errorClass: 'retriable' });
    expect(err.cause).toBeUndefined();
    expect(`${err.message}\n${err.stack ?? ''}\n${safeStringify(err)}\n${inspect(err, { depth: 10 })}`).not.toContain(KEY);
  });

  it('reports a 200 without a key as retriable (regenerate, then store)', async () => {
    const err = await rejection(withClient(answering(200, '{}')).generateKey(agent('agent-1')));

    expect(err).toMatchObject({ code: 'UnexpectedResponse', errorClass: 'retriable' });
  });

  it('reads the key from the documented response shape', async () => {
    const key = await withClient(answering(200, JSON.stringify({ syncAgentKey: KEY }))).generateKey(agent('agent-1'));

    expect(key.reveal()).toBe(KEY);
  });
});
