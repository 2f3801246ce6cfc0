/**
 * Starts the local Azure emulator: one mockttp server that is both an HTTPS-intercepting proxy for the real
 * Azure host names (clients reach it through HTTPS_PROXY and trust its CA through NODE_EXTRA_CA_CERTS) and,
 * addressed directly, the App Service managed-identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { CompletedRequest, Mockttp } from 'mockttp';
import type { Estate } from '../estate/estate.js';
import type { EmulatorRequest } from './emulatorRequest.js';
import type { EmulatorResponse } from './emulatorResponse.js';
import { EmulatorRouter, IDENTITY_PATH } from './emulatorRouter.js';
import { EmulatorState } from './emulatorState.js';
import type { EmulatorStats } from './emulatorStats.js';
import type { FaultSpec } from './faultInjector.js';
import { KeyEventPublisher, type EventWebhook } from './keyEventPublisher.js';
import { ensureLocalCa } from './ensureLocalCa.js';
import { AZURE_READ_BUCKET, AZURE_WRITE_BUCKET, type WriteBucketOptions } from './writeBucket.js';
import type { ArmSqlOptions } from './armSqlRoutes.js';
import { bindLoopback } from './bindLoopback.js';

/** How to start the emulator. */
export interface EmulatorOptions {
  /** Parsed estate (see loadEstate). */
  estate: Estate;
  /** Where the CA lives (default `.local-azure/ca` under process.cwd()); reused when present. */
  caDir?: string;
  /** 0 or omitted: any free port. */
  port?: number;
  /** Retry-After on LRO responses (default 1); false sends none, as Azure does for server keys (recorded). */
  lroRetryAfterSeconds?: number | false;
  /** Status polls answering InProgress before Succeeded (default 1). */
  lroInProgressPolls?: number;
  /**
   * How long server-key and protector operations run (ms; one figure or per kind, default 0 = done at the
   * first poll after `lroInProgressPolls`). The azure-cli recording shows about 10 s for a server key.
   */
  operationDurationMs?: ArmSqlOptions['operationDurationMs'];
  /** Delay added to every answer. */
  latencyMs?: number;
  /** ARM write throttle per subscription (default Azure's 200 / 10 per second); false disables it. */
  writeBucket?: WriteBucketOptions | false;
  /** ARM read throttle per subscription, LRO polls included (default Azure's 250 / 25 per second); false disables it. */
  readBucket?: WriteBucketOptions | false;
  /** Where KeyNewVersionCreated events go. */
  eventWebhook?: EventWebhook;
  /** Items per page of list operations (default 100). */
  pageSize?: number;
  /** Milliseconds since the epoch (default Date.now): token expiry, key expiry, the write bucket. */
  clock?: () => number;
  /** Diagnostic lines (never secrets). Requests are not logged one by one. */
  log?: (line: string) => void;
}

/** Options of `rotateKey` from code. */
export interface RotateKeyOptions {
  /** Default: the current version's type. */
  kty?: string;
  /** Default: the current version's size. */
  keySize?: number;
  enabled?: boolean;
  /** Unix seconds. */
  nbf?: number;
  /** Unix seconds. */
  exp?: number;
}

/** A running emulator. */
export interface RunningEmulator {
  /** `http://127.0.0.1:{port}`: use as HTTPS_PROXY. */
  readonly proxyUrl: string;
  /** `http://127.0.0.1:{port}/msi/token`: use as IDENTITY_ENDPOINT. */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  readonly caCertPath: string;
  /** Everything a client process needs: HTTPS_PROXY, HTTP_PROXY, NO_PROXY, IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS. */
  env(): Record<string, string>;
  /** Servers, server keys, protectors, agents (incl. current agent key), vault keys and secrets. */
  readonly state: EmulatorState;
  readonly faults: { inject(f: FaultSpec): void; clear(): void };
  readonly stats: EmulatorStats;
  /** Creates a new version of a vault key (as Key Vault's rotate does) and delivers the event; returns its key id. */
  rotateKey(vaultName: string, keyName: string, opts?: RotateKeyOptions): Promise<string>;
  setEventWebhook(w: EventWebhook | undefined): void;
  /** Waits until every event delivery in flight has ended. */
  flushEvents(): Promise<void>;
  /** Events delivered / failed so far. */
  readonly events: { readonly delivered: number; readonly failed: number };
  stop(): Promise<void>;
}

/** Starts the emulator. */
export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const log = opts.log ?? (() => undefined);
  const clock = opts.clock ?? Date.now;
  const ca = await ensureLocalCa(opts.caDir ?? resolve(process.cwd(), '.local-azure', 'ca'));
  const state = new EmulatorState(opts.estate);
  const publisher = new KeyEventPublisher(opts.eventWebhook, log, clock);
  const identityHeader = randomBytes(16).toString('hex');
  const router = new EmulatorRouter(state, {
    arm: {
      lroRetryAfterSeconds: opts.lroRetryAfterSeconds ?? 1,
      lroInProgressPolls: opts.lroInProgressPolls ?? 1,
      ...(opts.operationDurationMs !== undefined ? { operationDurationMs: opts.operationDurationMs } : {}),
      pageSize: opts.pageSize ?? 100,
      clock,
    },
    pageSize: opts.pageSize ?? 25,
    writeBucket: opts.writeBucket === undefined ? AZURE_WRITE_BUCKET : opts.writeBucket,
    readBucket: opts.readBucket === undefined ? AZURE_READ_BUCKET : opts.readBucket,
    identityHeader,
    tokenSigningKey: randomBytes(32),
    clientId: randomUUID(),
    latencyMs: opts.latencyMs ?? 0,
    clock,
    onKeyVersionCreated: (vault, keyName, v) => void publisher.publish(vault, keyName, v),
  });

  // mockttp is loaded on start only: importing the package (its state, router, process driver) stays light.
  const { getLocal } = await import('mockttp');
  const server: Mockttp = getLocal({ https: { cert: ca.cert, key: ca.key }, recordTraffic: false, suggestChanges: false, http2: false });
  await server.start(opts.port ?? 0);
  await bindLoopback(server, opts.port ?? 0);
  await server.forAnyRequest().thenCallback(async (r) => toMockttp(await router.handle(await toEmulatorRequest(r))));
  const proxyUrl = `http://127.0.0.1:${server.port}`;
  const identityEndpoint = `${proxyUrl}${IDENTITY_PATH}`;
  log(`local Azure emulator listening on ${proxyUrl} (CA ${ca.certPath})`);

  return {
    proxyUrl,
    identityEndpoint,
    identityHeader,
    caCertPath: ca.certPath,
    env: () => ({
      HTTPS_PROXY: proxyUrl,
      HTTP_PROXY: proxyUrl,
      NO_PROXY: '127.0.0.1,localhost',
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: identityHeader,
      NODE_EXTRA_CA_CERTS: ca.certPath,
    }),
    state,
    faults: { inject: (f) => router.faults.inject(f), clear: () => router.faults.clear() },
    stats: router.stats,
    async rotateKey(vaultName, keyName, o = {}) {
      const vault = state.vault(vaultName);
      if (!vault) throw new Error(`unknown vault ${vaultName}`);
      const current = state.keyVersion(vaultName, keyName);
      const v = router.keyVault.newKeyVersion(vault, keyName, {
        kty: o.kty ?? current?.kty ?? 'RSA',
        keySize: o.keySize ?? current?.keySize ?? 2048,
        ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
        ...(o.nbf !== undefined ? { nbf: o.nbf } : {}),
        ...(o.exp !== undefined ? { exp: o.exp } : {}),
      });
      await publisher.flush();
      const host = vault.kind === 'managedHsm' ? 'managedhsm.azure.net' : 'vault.azure.net';
      return `https://${vault.name}.${host}/keys/${vault.keys.get(keyName.toLowerCase())?.name ?? keyName}/${v.version}`;
    },
    setEventWebhook: (w) => publisher.setWebhook(w),
    flushEvents: () => publisher.flush(),
    get events() {
      return { delivered: publisher.delivered, failed: publisher.failed };
    },
    async stop() {
      await publisher.flush();
      await server.stop();
    },
  };
}

async function toEmulatorRequest(r: CompletedRequest): Promise<EmulatorRequest> {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const body = r.body.buffer.length > 0 ? ((await r.body.getText()) ?? '') : '';
  return { method: r.method, url: new URL(r.url), headers, body };
}

function toMockttp(res: EmulatorResponse): 'reset' | 'close' | { statusCode: number; headers: Record<string, string>; body?: string } {
  if ('action' in res) return res.action;
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...res.headers };
  if (res.body === undefined) return { statusCode: res.status, headers: { ...headers, 'content-length': '0' } };
  const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  return { statusCode: res.status, headers, body };
}
