/** Start and stop of the host's HTTP server, as promises. */
import type { Server } from 'node:http';

/** Resolves once the server listens (or rejects with the listen error, e.g. EADDRINUSE). */
export function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting connections and resolves once the open ones are done. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open; idle ones can go now.
    server.closeIdleConnections();
  });
}
