import type { ServerDirectory } from '../../../src/app/ports.js';
import { Faults } from './faults.js';

/** In-memory ServerDirectory: servers per scope (a scope lists every server whose id starts with it). */
export class FakeServerDirectory implements ServerDirectory {
  readonly faults = new Faults();
  readonly #servers: string[];

  constructor(serverIds: readonly string[] = []) {
    this.#servers = [...serverIds];
  }

  listServers(scope: string): Promise<string[]> {
    const fault = this.faults.take(scope);
    if (fault !== undefined) return Promise.reject(fault);
    const prefix = `${scope.replace(/\/+$/, '').toLowerCase()}/`;
    return Promise.resolve(this.#servers.filter((s) => s.toLowerCase().startsWith(prefix)));
  }
}
