/**
 * Keeps the emulator's mockttp proxy on 127.0.0.1. mockttp's `start(port)` listens on every interface and has no
 * host option, so the listener is moved to 127.0.0.1 right after start, before anything has its address; any
 * connection from elsewhere is dropped as a second line in case the move cannot be made.
 */
import type { Server, Socket } from 'node:net';
import type { Mockttp } from 'mockttp';

const LOOPBACK = '127.0.0.1';

/**
 * Re-listens the started `server` on 127.0.0.1: on `port` when one was asked for, else on a fresh free port (no
 * window in which another process could take the old one).
 * @throws Error when mockttp's listener cannot be reached (its internals changed): fail closed, never listen wide.
 */
export async function bindLoopback(server: Mockttp, port: number): Promise<void> {
  const inner = (server as unknown as { server?: Server }).server;
  if (inner === undefined || typeof inner.listen !== 'function' || typeof inner.close !== 'function') {
    await server.stop();
    throw new Error('cannot bind the emulator to 127.0.0.1: mockttp no longer exposes its listener');
  }
  inner.on('connection', (socket: Socket) => {
    if (!isLoopback(socket.remoteAddress)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => inner.close((e) => (e === undefined ? resolve() : reject(e))));
  await new Promise<void>((resolve, reject) => {
    inner.once('error', reject);
    inner.listen(port, LOOPBACK, () => {
      inner.off('error', reject);
      resolve();
    });
  });
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
