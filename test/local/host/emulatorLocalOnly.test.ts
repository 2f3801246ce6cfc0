import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RunningEmulator } from '../../../src/local/emulator/index.js';
import { startTestEmulator } from '../../support/emulator.js';

/** Whether a TCP connection to address:port is accepted and kept. */
function reachable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      // A connection from a foreign address would be dropped at once: give it one round trip to say so.
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('close', () => resolve(false));
    });
    socket.once('error', () => resolve(false));
  });
}

const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;

describe('Function: startEmulator (bind address)', () => {
  let emulator: RunningEmulator;
  let port: number;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    port = Number(new URL(emulator.proxyUrl).port);
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('listens on 127.0.0.1', async () => {
    expect(new URL(emulator.proxyUrl).hostname).toBe('127.0.0.1');
    expect(await reachable('127.0.0.1', port)).toBe(true);
  });

  it.runIf(external !== undefined)('is not reachable on the machine\'s other addresses', async () => {
    expect(await reachable(external!, port)).toBe(false);
  });
});
