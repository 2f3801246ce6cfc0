/** Drives the emulator's router in-process (no sockets): for unit and contract tests. */
import {
  EmulatorRouter,
  EmulatorState,
  mintToken,
  type ArmSqlOptions,
  type EmulatorResponse,
  type Estate,
  type KeyVersionState,
  type VaultState,
  type WriteBucketOptions,
} from '@sql-key-rotation/local-azure';
import { testEstate } from '../../support/emulator.js';

export interface Harness {
  readonly router: EmulatorRouter;
  readonly state: EmulatorState;
  readonly created: { vault: VaultState; keyName: string; version: KeyVersionState }[];
  /** Sends a request with a valid token for the host's audience unless `token` says otherwise. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are inspected field by field
  send(method: string, url: string, body?: unknown, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string>; body: any; reset?: boolean }>;
  tokenFor(aud: string, expInSeconds?: number): string;
  now: { ms: number };
}

export const ARM = 'https://management.azure.com';
export const API = 'api-version=2020-11-01-preview';

export interface HarnessOptions {
  estate?: Estate;
  writeBucket?: WriteBucketOptions | false;
  readBucket?: WriteBucketOptions | false;
  lroInProgressPolls?: number;
  lroRetryAfterSeconds?: number | false;
  operationDurationMs?: ArmSqlOptions['operationDurationMs'];
  pageSize?: number;
  latencyMs?: number;
}

export function harness(o: HarnessOptions = {}): Harness {
  const now = { ms: Date.UTC(2026, 0, 1) };
  const clock = () => now.ms;
  const state = new EmulatorState(o.estate ?? testEstate());
  const created: Harness['created'] = [];
  const router = new EmulatorRouter(state, {
    arm: {
      lroRetryAfterSeconds: o.lroRetryAfterSeconds ?? 0,
      lroInProgressPolls: o.lroInProgressPolls ?? 1,
      ...(o.operationDurationMs !== undefined ? { operationDurationMs: o.operationDurationMs } : {}),
      pageSize: o.pageSize ?? 2,
      clock,
    },
    pageSize: o.pageSize ?? 2,
    writeBucket: o.writeBucket ?? false,
    readBucket: o.readBucket ?? false,
    identityHeader: 'test-identity-header',
    clientId: '99999999-8888-4777-8666-555555555555',
    latencyMs: o.latencyMs ?? 0,
    clock,
    onKeyVersionCreated: (vault, keyName, version) => created.push({ vault, keyName, version }),
  });
  const tokenFor = (aud: string, expInSeconds = 3600) =>
    mintToken({ aud, exp: Math.floor(now.ms / 1000) + expInSeconds, iat: Math.floor(now.ms / 1000), tid: state.tenantId, oid: 'test' });
  const audienceOf = (u: URL) => (u.hostname.startsWith('management.') ? 'https://management.azure.com/' : u.hostname.includes('managedhsm') ? 'https://managedhsm.azure.net' : 'https://vault.azure.net');
  return {
    router,
    state,
    created,
    now,
    tokenFor,
    async send(method, url, body, opts = {}) {
      const u = new URL(url);
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? tokenFor(audienceOf(u)) : opts.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      const res: EmulatorResponse = await router.handle({ method, url: u, headers, body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body) });
      if ('action' in res) return { status: 0, headers: {}, body: undefined, reset: true };
      return { status: res.status, headers: { ...res.headers }, body: res.body };
    },
  };
}
