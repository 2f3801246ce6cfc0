import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { ArmSyncAgents } from '../../src/azure/armSyncAgents.js';
import { SqlClientFactory } from '../../src/azure/sqlClientFactory.js';
import { noRetrySqlClients, useTestEmulator } from '../support/emulatorFixture.js';
import { answering, everythingAbout, fixedTokenCredential } from '../support/injectedHttp.js';
import { rotationFailure as rejection } from '../support/rotationFailure.js';
import { testEstateWith, testSyncAgentId } from '../support/testEstates.js';
import { TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION_ID, testServerId } from '../support/emulator.js';

const SERVER = testServerId('sql-primary');
const agent = (name: string): string => testSyncAgentId('sql-primary', name);

describe('Class: ArmSyncAgents (against the emulator)', () => {
  /** The emulator's clock runs this far ahead of the real one (moved by tests instead of sleeping). */
  let offsetMs = 0;
  // Four agents on sql-primary: more than one page at page size 2.
  const emulator = useTestEmulator({
    estate: testEstateWith({
      servers: {
        'sql-primary': {
          syncAgents: [
            { name: 'agent-1' },
            { name: 'agent-2', pickupAfterSeconds: 120 },
            { name: 'agent-3', state: 'NeverConnected' },
            { name: 'agent-4', state: 'Offline', lastAliveTime: '2026-01-02T03:04:05.000Z' },
          ],
        },
      },
    }),
    clock: () => Date.now() + offsetMs,
  });
  let agents: ArmSyncAgents;

  beforeAll(() => {
    // SDK retries off: these tests are about what reaches the use case.
    agents = new ArmSyncAgents(noRetrySqlClients());
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
    // Prepare
    emulator.faults.inject({ kind: 'serviceUnavailable', route: 'arm.syncAgents.generateKey', times: 1, retryAfterSeconds: 7 });

    // Act
    const err = await rejection(agents.generateKey(agent('agent-2')));

    // Assess
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
    // Prepare
    await agents.generateKey(agent('agent-1'));
    offsetMs += 3_600_000;

    // Act
    const agent1 = await agents.getSyncAgent(agent('agent-1'));

    // Assess
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
    // Prepare
    emulator.faults.inject({ kind: 'throttle', route: 'arm.syncAgents.listByServer', times: 1, retryAfterSeconds: 3 });

    // Act
    const err = await rejection(agents.listSyncAgents(SERVER));

    // Assess
    expect(err.errorClass).toBe('retriable');
    expect(err.details).toMatchObject({ server: SERVER, statusCode: 429, retryAfterMs: 3_000 });
  });
});

describe('Class: ArmSyncAgents (injected HTTP client)', () => {
  const KEY = '865f9998-6dae-4214-bbb1-4796b7c76ca0:c2VjcmV0LXBhcnQtb25l:c2VjcmV0LXBhcnQtdHdv';
  const withClient = (httpClient: HttpClient) =>
    new ArmSyncAgents(new SqlClientFactory(fixedTokenCredential, { httpClient, retryOptions: { maxRetries: 0 } }));

  it('withholds a 200 body that cannot be read, since it holds the new key', async () => {
    const err = await rejection(withClient(answering(200, `{"syncAgentKey": "${KEY}"`)).generateKey(agent('agent-1')));

    expect(err).toMatchObject({ code: 'UnexpectedResponse', errorClass: 'retriable' });
    expect(err.cause).toBeUndefined();
    expect(everythingAbout(err)).not.toContain(KEY);
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
