import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import { checkBearer, mintToken } from '@sql-key-rotation/local-azure';
import { useTestEmulator } from '../../support/emulatorFixture.js';

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

describe('Function: startEmulator (local only)', () => {
  const emulator = useTestEmulator();
  let port: number;

  beforeAll(() => {
    port = Number(new URL(emulator.proxyUrl).port);
  });

  it('listens on 127.0.0.1', async () => {
    expect(new URL(emulator.proxyUrl).hostname).toBe('127.0.0.1');
    expect(await reachable('127.0.0.1', port)).toBe(true);
  });

  it.runIf(external !== undefined)('is not reachable on the machine\'s other addresses', async () => {
    expect(await reachable(external!, port)).toBe(false);
  });

  it('issues tokens signed with a key of this run', async () => {
    const url = `${emulator.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com')}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': emulator.identityHeader } });
    const { access_token: token } = (await res.json()) as { access_token: string };

    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { alg: string };
    expect(header.alg).toBe('HS256');
    expect(token.split('.')[2]).not.toBe('');
  });
});

describe('Function: checkBearer (with a signing key)', () => {
  const key = randomBytes(32);
  const now = 1_800_000_000;
  const claims = { aud: 'https://management.azure.com/', exp: now + 3600, iat: now, tid: 't', oid: 'o' };
  const audiences = ['https://management.azure.com'];

  it('accepts a token it signed', () => {
    expect(checkBearer(`Bearer ${mintToken(claims, key)}`, audiences, now, key)).toMatchObject({ ok: true });
  });

  it('refuses an unsigned token, a token of another key and a token whose claims were changed', () => {
    // Prepare
    const signed = mintToken(claims, key);
    const [h, , sig] = signed.split('.');
    const changed = `${h!}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 999_999 })).toString('base64url')}.${sig!}`;

    // Act
    const answers = [mintToken(claims), mintToken(claims, randomBytes(32)), changed].map((t) => checkBearer(`Bearer ${t}`, audiences, now, key));

    // Assess
    expect(answers.map((a) => (a.ok ? 'ok' : a.problem))).toEqual(['malformed', 'malformed', 'malformed']);
  });
});
