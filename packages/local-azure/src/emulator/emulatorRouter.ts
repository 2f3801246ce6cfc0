/**
 * Routes one request to the right emulated service, in the order Azure applies things: identity endpoint, or
 * token check (with Key Vault's 401 challenge), then injected faults, then ARM's write or read throttle, then the
 * resource handler. Transport-free: takes an {@link EmulatorRequest}, returns an {@link EmulatorResponse}.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ArmSqlRoutes, type ArmSqlOptions } from './armSqlRoutes.js';
import { type EmulatorRequest } from './emulatorRequest.js';
import { armError, json, type EmulatorResponse } from './emulatorResponse.js';
import type { EmulatorState } from './emulatorState.js';
import type { KeyVersionState, VaultState } from './vaultState.js';
import { EmulatorStats } from './emulatorStats.js';
import { checkBearer, type TokenCheck } from './checkBearer.js';
import { mintToken } from './mintToken.js';
import { FaultInjector } from './faultInjector.js';
import { KeyVaultRoutes } from './keyVaultRoutes.js';
import { WriteBucket, type WriteBucketOptions } from './writeBucket.js';

/** ARM hosts by cloud, with the token audiences each accepts. */
export const ARM_HOSTS: Readonly<Record<string, readonly string[]>> = {
  'management.azure.com': ['https://management.azure.com', 'https://management.core.windows.net'],
  'management.chinacloudapi.cn': ['https://management.chinacloudapi.cn', 'https://management.core.chinacloudapi.cn'],
  'management.usgovcloudapi.net': ['https://management.usgovcloudapi.net', 'https://management.core.usgovcloudapi.net'],
};

/** Key Vault / Managed HSM DNS suffixes, with the audience and login host of each. */
export const VAULT_SUFFIXES: Readonly<Record<string, { readonly audience: string; readonly login: string }>> = {
  'vault.azure.net': { audience: 'https://vault.azure.net', login: 'https://login.microsoftonline.com' },
  'managedhsm.azure.net': { audience: 'https://managedhsm.azure.net', login: 'https://login.microsoftonline.com' },
  'vault.azure.cn': { audience: 'https://vault.azure.cn', login: 'https://login.chinacloudapi.cn' },
  'managedhsm.azure.cn': { audience: 'https://managedhsm.azure.cn', login: 'https://login.chinacloudapi.cn' },
  'vault.usgovcloudapi.net': { audience: 'https://vault.usgovcloudapi.net', login: 'https://login.microsoftonline.us' },
  'managedhsm.usgovcloudapi.net': { audience: 'https://managedhsm.usgovcloudapi.net', login: 'https://login.microsoftonline.us' },
};

/** Path of the emulated App Service managed-identity endpoint. */
export const IDENTITY_PATH = '/msi/token';

/** Settings of the router. */
export interface EmulatorRouterOptions {
  readonly arm: ArmSqlOptions;
  readonly pageSize: number;
  readonly writeBucket: WriteBucketOptions | false;
  /** ARM read throttle per subscription (GET/HEAD, LRO polls included); omitted or false: none. */
  readonly readBucket?: WriteBucketOptions | false;
  /** Secret the identity endpoint requires in `X-IDENTITY-HEADER`. */
  readonly identityHeader: string;
  /** Client id reported by the identity endpoint. */
  readonly clientId: string;
  /** Lifetime of minted tokens (default 24 h). */
  readonly tokenLifetimeSeconds?: number;
  /** Signs the tokens the identity endpoint mints, and refuses any other (default: unsigned, not checked). */
  readonly tokenSigningKey?: Buffer;
  readonly latencyMs: number;
  readonly clock: () => number;
  readonly onKeyVersionCreated: (vault: VaultState, keyName: string, version: KeyVersionState) => void;
}

/** The whole emulated Azure behind one `handle(request)`. */
export class EmulatorRouter {
  readonly faults = new FaultInjector();
  readonly stats = new EmulatorStats();
  readonly arm: ArmSqlRoutes;
  readonly keyVault: KeyVaultRoutes;
  private readonly bucket: WriteBucket | undefined;
  private readonly readBucket: WriteBucket | undefined;

  constructor(
    readonly state: EmulatorState,
    private readonly options: EmulatorRouterOptions,
  ) {
    this.arm = new ArmSqlRoutes(state, options.arm);
    this.keyVault = new KeyVaultRoutes(state, { pageSize: options.pageSize, clock: options.clock, onKeyVersionCreated: options.onKeyVersionCreated });
    this.bucket = options.writeBucket === false ? undefined : new WriteBucket(options.writeBucket, options.clock);
    this.readBucket = options.readBucket ? new WriteBucket(options.readBucket, options.clock) : undefined;
  }

  /** Answers one request and records it in the stats. */
  async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    const { route, response, latencyMs } = this.dispatch(req);
    const delay = this.options.latencyMs + latencyMs;
    if (delay > 0) await sleep(delay);
    this.stats.record({
      method: req.method,
      url: req.url.toString(),
      route,
      status: 'status' in response ? response.status : 0,
      authorized: req.headers['authorization'] !== undefined,
    });
    return response;
  }

  private dispatch(req: EmulatorRequest): { route: string; response: EmulatorResponse; latencyMs: number } {
    const host = req.url.hostname.toLowerCase();
    if (host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]') {
      if (req.url.pathname === IDENTITY_PATH) return this.guarded(req, 'identity.token', () => this.identity(req));
      return { route: 'unknown', response: json(404, { error: 'not found' }), latencyMs: 0 };
    }
    const armAudiences = ARM_HOSTS[host];
    if (armAudiences) return this.armRequest(req, armAudiences);
    const dot = host.indexOf('.');
    const suffix = VAULT_SUFFIXES[host.slice(dot + 1)];
    if (dot > 0 && suffix) return this.vaultRequest(req, host.slice(0, dot), suffix);
    return { route: 'unknown', response: json(502, { error: { code: 'UnknownHost', message: `The local Azure emulator does not serve ${host}.` } }), latencyMs: 0 };
  }

  private guarded(req: EmulatorRequest, route: string, handle: () => EmulatorResponse): { route: string; response: EmulatorResponse; latencyMs: number } {
    const fault = this.faults.take(req, route);
    if (fault?.response) return { route, response: fault.response, latencyMs: fault.latencyMs };
    return { route, response: handle(), latencyMs: fault?.latencyMs ?? 0 };
  }

  private identity(req: EmulatorRequest): EmulatorResponse {
    if (req.headers['x-identity-header'] !== this.options.identityHeader) {
      return json(401, { statusCode: 401, message: 'Unauthorized: X-IDENTITY-HEADER is missing or wrong.' });
    }
    if (req.url.searchParams.get('api-version') !== '2019-08-01') return json(400, { statusCode: 400, message: 'api-version 2019-08-01 is required.' });
    const resource = req.url.searchParams.get('resource');
    if (!resource) return json(400, { statusCode: 400, message: 'resource is required.' });
    const now = Math.floor(this.options.clock() / 1000);
    const exp = now + (this.options.tokenLifetimeSeconds ?? 86_400);
    const access_token = mintToken({ aud: resource, exp, iat: now, tid: this.state.tenantId, oid: this.options.clientId }, this.options.tokenSigningKey);
    return json(200, { access_token, expires_on: String(exp), resource, token_type: 'Bearer', client_id: this.options.clientId });
  }

  private armRequest(req: EmulatorRequest, audiences: readonly string[]): { route: string; response: EmulatorResponse; latencyMs: number } {
    const matched = this.arm.match(req);
    const route = matched?.name ?? 'arm.unknown';
    const auth = checkBearer(req.headers['authorization'], audiences, Math.floor(this.options.clock() / 1000), this.options.tokenSigningKey);
    if (!auth.ok) return { route, response: armAuthError(auth, audiences, this.options.clock()), latencyMs: 0 };
    if (!req.url.searchParams.get('api-version')) {
      return { route, response: armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'), latencyMs: 0 };
    }
    const fault = this.faults.take(req, route);
    if (fault?.response) return { route, response: fault.response, latencyMs: fault.latencyMs };
    const latencyMs = fault?.latencyMs ?? 0;
    if (!matched) {
      return { route, response: armError(404, 'ResourceNotFound', `The local Azure emulator has no resource at ${req.url.pathname}.`), latencyMs };
    }
    let remaining: number | undefined;
    const kind = matched.isWrite ? 'write' : 'read';
    if (matched.isWrite) this.stats.writes += 1;
    else this.stats.reads += 1;
    const bucket = matched.isWrite ? this.bucket : this.readBucket;
    if (bucket) {
      const d = bucket.take(matched.subscriptionId);
      if (!d.allowed) {
        if (matched.isWrite) this.stats.throttledWrites += 1;
        else this.stats.throttledReads += 1;
        const response = armError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of '${kind}' requests for subscription '${matched.subscriptionId}' actions exceeded. Please try again after '${d.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
          { 'retry-after': String(d.retryAfterSeconds), [`x-ms-ratelimit-remaining-subscription-${kind}s`]: '0' },
        );
        return { route, response, latencyMs };
      }
      remaining = d.remaining;
    }
    const response = matched.handle();
    if (remaining !== undefined && 'status' in response) {
      return { route, response: { ...response, headers: { ...response.headers, [`x-ms-ratelimit-remaining-subscription-${kind}s`]: String(remaining) } }, latencyMs };
    }
    return { route, response, latencyMs };
  }

  private vaultRequest(req: EmulatorRequest, vaultName: string, suffix: { audience: string; login: string }): { route: string; response: EmulatorResponse; latencyMs: number } {
    const matched = this.keyVault.match(req, vaultName);
    const route = matched?.name ?? 'kv.unknown';
    const auth = checkBearer(req.headers['authorization'], [suffix.audience], Math.floor(this.options.clock() / 1000), this.options.tokenSigningKey);
    if (!auth.ok) {
      const challenge = `Bearer authorization="${suffix.login}/${this.state.tenantId}", resource="${suffix.audience}"`;
      const message =
        auth.problem === 'missing'
          ? 'AKV10000: Request is missing a Bearer or PoP token.'
          : auth.problem === 'wrongAudience'
            ? `AKV10022: Invalid audience. Expected ${suffix.audience}, found: ${auth.audience ?? ''}.`
            : auth.problem === 'expired'
              ? 'AKV10032: Token is expired.'
              : 'AKV10005: Malformed token.';
      return { route, response: json(401, { error: { code: 'Unauthorized', message } }, { 'www-authenticate': challenge }), latencyMs: 0 };
    }
    if (!req.url.searchParams.get('api-version')) {
      return { route, response: json(400, { error: { code: 'BadParameter', message: 'The api-version query parameter is required.' } }), latencyMs: 0 };
    }
    const fault = this.faults.take(req, route);
    if (fault?.response) return { route, response: fault.response, latencyMs: fault.latencyMs };
    const latencyMs = fault?.latencyMs ?? 0;
    if (!matched) return { route, response: json(400, { error: { code: 'BadParameter', message: `Unsupported operation ${req.method} ${req.url.pathname}.` } }), latencyMs };
    if (!matched.vault) return { route, response: json(404, { error: { code: 'VaultNotFound', message: `Vault ${vaultName} was not found.` } }), latencyMs };
    return { route, response: matched.handle(), latencyMs };
  }
}

function armAuthError(auth: Exclude<TokenCheck, { ok: true }>, audiences: readonly string[], nowMs: number): EmulatorResponse {
  switch (auth.problem) {
    case 'missing':
      return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    case 'malformed':
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    case 'expired':
      return armError(
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${new Date((auth.exp ?? 0) * 1000).toUTCString()}' is earlier than current UTC time '${new Date(nowMs).toUTCString()}'.`,
      );
    case 'wrongAudience':
      return armError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${auth.audience ?? ''}'. It should exactly match with one of the allowed audiences ${audiences.map((a) => `'${a}/','${a}'`).join(',')}.`,
      );
  }
}
