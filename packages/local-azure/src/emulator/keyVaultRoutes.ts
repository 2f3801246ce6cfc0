/**
 * Key Vault (and Managed HSM) data plane, the slice the product uses: keys (get a version or the latest, list
 * versions, create, rotate, update attributes) and secrets (set, get, list versions, update). Bodies follow the REST
 * spec examples in ../shared/vectors/keyvault-spec.
 */
import { parseJsonBody, type EmulatorRequest } from './emulatorRequest.js';
import { json, type EmulatorResponse } from './emulatorResponse.js';
import type { EmulatorState } from './emulatorState.js';
import { makeKeyVersion, newVersion, type KeyVersionSpec } from './makeKeyVersion.js';
import type { KeyVersionState, SecretVersionState, VaultState } from './vaultState.js';

/** Settings of the Key Vault routes. */
export interface KeyVaultOptions {
  readonly pageSize: number;
  readonly clock: () => number;
  /** Called after a key version is created (create or rotate), to deliver the Event Grid event. */
  readonly onKeyVersionCreated: (vault: VaultState, keyName: string, version: KeyVersionState) => void;
}

/** A matched Key Vault route. */
export interface KeyVaultRoute {
  readonly name: string;
  readonly vault: VaultState | undefined;
  handle(): EmulatorResponse;
}

const RECOVERY = { recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 };

interface AttributesIn {
  enabled?: unknown;
  nbf?: unknown;
  exp?: unknown;
}

/** The data-plane routes over an {@link EmulatorState}. */
export class KeyVaultRoutes {
  constructor(
    readonly state: EmulatorState,
    private readonly options: KeyVaultOptions,
  ) {}

  /** The route for a request to `{vault}.vault.azure.net` (etc.), or undefined. */
  match(req: EmulatorRequest, vaultName: string): KeyVaultRoute | undefined {
    const vault = this.state.vault(vaultName);
    const method = req.method.toUpperCase();
    const parts = req.url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    const [collection, name, third, ...extra] = parts;
    if (extra.length > 0 || !name) return undefined;
    const base = `https://${req.url.host}`;
    const route = (n: string, handle: (v: VaultState) => EmulatorResponse): KeyVaultRoute => ({
      name: n,
      vault,
      handle: () => (vault ? handle(vault) : kvError(404, 'VaultNotFound', `Vault ${vaultName} was not found.`)),
    });
    if (collection === 'keys') {
      if (third === 'versions' && method === 'GET') return route('kv.keys.listVersions', (v) => this.listKeyVersions(req, base, v, name));
      if (third === 'create' && method === 'POST') return route('kv.keys.create', (v) => this.createKey(req, base, v, name));
      if (third === 'rotate' && method === 'POST') return route('kv.keys.rotate', (v) => this.rotateKey(base, v, name));
      if (method === 'GET') return route('kv.keys.get', (v) => this.getKey(base, v, name, third));
      if (method === 'PATCH') return route('kv.keys.update', (v) => this.updateKey(req, base, v, name, third));
      return undefined;
    }
    if (collection === 'secrets') {
      if (third === undefined && method === 'PUT') return route('kv.secrets.set', (v) => this.setSecret(req, base, v, name));
      if (third === 'versions' && method === 'GET') return route('kv.secrets.listVersions', (v) => this.listSecretVersions(req, base, v, name));
      if (method === 'GET') return route('kv.secrets.get', (v) => this.getSecret(base, v, name, third));
      if (method === 'PATCH' && third !== undefined) return route('kv.secrets.update', (v) => this.updateSecret(req, base, v, name, third));
      return undefined;
    }
    return undefined;
  }

  /** Creates a new version of a key, like rotate (used by the route and by `emulator.rotateKey`). */
  newKeyVersion(vault: VaultState, keyName: string, spec: Omit<KeyVersionSpec, 'version'>): KeyVersionState {
    const v = makeKeyVersion(spec, Math.floor(this.options.clock() / 1000));
    this.state.addKeyVersion(vault.name, keyName, v);
    this.options.onKeyVersionCreated(vault, this.state.vault(vault.name)?.keys.get(keyName.toLowerCase())?.name ?? keyName, v);
    return v;
  }

  // ---- keys ----------------------------------------------------------------------------------------------------

  private getKey(base: string, vault: VaultState, name: string, version: string | undefined): EmulatorResponse {
    const key = vault.keys.get(name.toLowerCase());
    const v = key ? (version ? key.byVersion.get(version.toLowerCase()) : key.versions[key.versions.length - 1]) : undefined;
    if (!key || !v) return keyNotFound(name, version);
    if (!v.enabled && this.state.behaviour.disabledKeyGet === 'forbidden') {
      return json(403, { error: { code: 'Forbidden', message: 'Operation get is not allowed on a disabled key.', innererror: { code: 'KeyDisabled' } } });
    }
    return json(200, keyBundle(base, key.name, v));
  }

  private listKeyVersions(req: EmulatorRequest, base: string, vault: VaultState, name: string): EmulatorResponse {
    const key = vault.keys.get(name.toLowerCase());
    if (!key) return keyNotFound(name, undefined);
    return this.page(req, key.versions, (v) => keyItem(base, key.name, v));
  }

  private createKey(req: EmulatorRequest, base: string, vault: VaultState, name: string): EmulatorResponse {
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return kvError(400, 'BadParameter', 'The request URI contains an invalid name: ' + name);
    const body = parseJsonBody(req) as { kty?: unknown; key_size?: unknown; key_ops?: unknown; attributes?: AttributesIn; tags?: unknown } | undefined;
    if (!body || typeof body.kty !== 'string') return kvError(400, 'BadParameter', 'Property kty is required.');
    const spec = attributesSpec(body.attributes);
    const v = this.newKeyVersion(vault, name, {
      kty: body.kty,
      keySize: typeof body.key_size === 'number' ? body.key_size : 2048,
      ...(Array.isArray(body.key_ops) ? { keyOps: body.key_ops as string[] } : {}),
      ...spec,
      ...(isStringRecord(body.tags) ? { tags: body.tags } : {}),
    });
    return json(200, keyBundle(base, vault.keys.get(name.toLowerCase())?.name ?? name, v));
  }

  private rotateKey(base: string, vault: VaultState, name: string): EmulatorResponse {
    const key = vault.keys.get(name.toLowerCase());
    const latest = key?.versions[key.versions.length - 1];
    if (!key || !latest) return keyNotFound(name, undefined);
    const v = this.newKeyVersion(vault, key.name, { kty: latest.kty, keySize: latest.keySize, keyOps: [...latest.keyOps], ...(latest.tags ? { tags: latest.tags } : {}) });
    return json(200, keyBundle(base, key.name, v));
  }

  private updateKey(req: EmulatorRequest, base: string, vault: VaultState, name: string, version: string | undefined): EmulatorResponse {
    const key = vault.keys.get(name.toLowerCase());
    const v = key ? (version ? key.byVersion.get(version.toLowerCase()) : key.versions[key.versions.length - 1]) : undefined;
    if (!key || !v) return keyNotFound(name, version);
    const body = parseJsonBody(req) as { attributes?: AttributesIn; key_ops?: unknown; tags?: unknown } | undefined;
    const a = body?.attributes;
    if (a) {
      if (typeof a.enabled === 'boolean') v.enabled = a.enabled;
      if (typeof a.nbf === 'number') v.nbf = a.nbf;
      if (typeof a.exp === 'number') v.exp = a.exp;
    }
    if (Array.isArray(body?.key_ops)) v.keyOps = body.key_ops as string[];
    if (isStringRecord(body?.tags)) v.tags = body.tags;
    v.updated = Math.floor(this.options.clock() / 1000);
    return json(200, keyBundle(base, key.name, v));
  }

  // ---- secrets -------------------------------------------------------------------------------------------------

  private setSecret(req: EmulatorRequest, base: string, vault: VaultState, name: string): EmulatorResponse {
    if (vault.kind === 'managedHsm') return kvError(400, 'BadParameter', 'Managed HSM does not hold secrets.');
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return kvError(400, 'BadParameter', 'The request URI contains an invalid name: ' + name);
    const body = parseJsonBody(req) as { value?: unknown; contentType?: unknown; attributes?: AttributesIn; tags?: unknown } | undefined;
    if (!body || typeof body.value !== 'string') return kvError(400, 'BadParameter', 'Property value is required.');
    const now = Math.floor(this.options.clock() / 1000);
    const spec = attributesSpec(body.attributes);
    const v: SecretVersionState = { version: newVersion(), value: body.value, enabled: spec.enabled ?? true, created: now, updated: now };
    if (spec.nbf !== undefined) v.nbf = spec.nbf;
    if (spec.exp !== undefined) v.exp = spec.exp;
    if (typeof body.contentType === 'string') v.contentType = body.contentType;
    if (isStringRecord(body.tags)) v.tags = body.tags;
    this.state.addSecretVersion(vault.name, name, v);
    return json(200, secretBundle(base, vault.secrets.get(name.toLowerCase())?.name ?? name, v, true));
  }

  private getSecret(base: string, vault: VaultState, name: string, version: string | undefined): EmulatorResponse {
    const s = vault.secrets.get(name.toLowerCase());
    const v = s ? (version ? s.byVersion.get(version.toLowerCase()) : s.versions[s.versions.length - 1]) : undefined;
    if (!s || !v) return kvError(404, 'SecretNotFound', `A secret with (name/id) ${name}${version ? '/' + version : ''} was not found in this key vault.`);
    if (!v.enabled) return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
    return json(200, secretBundle(base, s.name, v, true));
  }

  /** UpdateSecret: attributes, content type and tags of one version (never its value); answers without the value. */
  private updateSecret(req: EmulatorRequest, base: string, vault: VaultState, name: string, version: string): EmulatorResponse {
    const s = vault.secrets.get(name.toLowerCase());
    const v = s?.byVersion.get(version.toLowerCase());
    if (!s || !v) return kvError(404, 'SecretNotFound', `A secret with (name/id) ${name}/${version} was not found in this key vault.`);
    const body = parseJsonBody(req) as { contentType?: unknown; attributes?: AttributesIn; tags?: unknown } | undefined;
    const spec = attributesSpec(body?.attributes);
    if (spec.enabled !== undefined) v.enabled = spec.enabled;
    if (spec.nbf !== undefined) v.nbf = spec.nbf;
    if (spec.exp !== undefined) v.exp = spec.exp;
    if (typeof body?.contentType === 'string') v.contentType = body.contentType;
    if (isStringRecord(body?.tags)) v.tags = body.tags;
    v.updated = Math.floor(this.options.clock() / 1000);
    return json(200, secretBundle(base, s.name, v, false));
  }

  private listSecretVersions(req: EmulatorRequest, base: string, vault: VaultState, name: string): EmulatorResponse {
    const s = vault.secrets.get(name.toLowerCase());
    if (!s) return kvError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    return this.page(req, s.versions, (v) => secretBundle(base, s.name, v, false));
  }

  private page<T>(req: EmulatorRequest, items: readonly T[], toBody: (t: T) => unknown): EmulatorResponse {
    const skip = Number(req.url.searchParams.get('$skiptoken') ?? '0') || 0;
    const max = Number(req.url.searchParams.get('maxresults') ?? '0') || this.options.pageSize;
    const value = items.slice(skip, skip + max).map(toBody);
    let nextLink: string | null = null;
    if (skip + max < items.length) {
      const next = new URL(req.url.toString());
      next.searchParams.set('$skiptoken', String(skip + max));
      nextLink = next.toString();
    }
    return json(200, { value, nextLink });
  }
}

function attributesSpec(a: AttributesIn | undefined): { enabled?: boolean; nbf?: number; exp?: number } {
  const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
  if (typeof a?.enabled === 'boolean') out.enabled = a.enabled;
  if (typeof a?.nbf === 'number') out.nbf = a.nbf;
  if (typeof a?.exp === 'number') out.exp = a.exp;
  return out;
}

function isStringRecord(x: unknown): x is Record<string, string> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function keyAttributes(v: { enabled: boolean; nbf?: number; exp?: number; created: number; updated: number }): Record<string, unknown> {
  const a: Record<string, unknown> = { enabled: v.enabled };
  if (v.nbf !== undefined) a['nbf'] = v.nbf;
  if (v.exp !== undefined) a['exp'] = v.exp;
  a['created'] = v.created;
  a['updated'] = v.updated;
  return { ...a, ...RECOVERY };
}

/** The key bundle of the GetKey/CreateKey/RotateKey examples. */
export function keyBundle(base: string, name: string, v: KeyVersionState): unknown {
  const key: Record<string, unknown> = { kid: `${base}/keys/${name}/${v.version}`, kty: v.kty, key_ops: v.keyOps };
  if (v.kty.startsWith('RSA')) {
    key['n'] = v.n;
    key['e'] = 'AQAB';
  }
  const out: Record<string, unknown> = { key, attributes: keyAttributes(v) };
  if (v.tags) out['tags'] = v.tags;
  return out;
}

function keyItem(base: string, name: string, v: KeyVersionState): unknown {
  const out: Record<string, unknown> = { kid: `${base}/keys/${name}/${v.version}`, attributes: keyAttributes(v) };
  if (v.tags) out['tags'] = v.tags;
  return out;
}

function secretBundle(base: string, name: string, v: SecretVersionState, withValue: boolean): unknown {
  const out: Record<string, unknown> = {};
  if (withValue) out['value'] = v.value;
  out['id'] = `${base}/secrets/${name}/${v.version}`;
  if (v.contentType !== undefined) out['contentType'] = v.contentType;
  out['attributes'] = keyAttributes(v);
  if (v.tags) out['tags'] = v.tags;
  return out;
}

function kvError(status: number, code: string, message: string): EmulatorResponse {
  return json(status, { error: { code, message } });
}

function keyNotFound(name: string, version: string | undefined): EmulatorResponse {
  return kvError(404, 'KeyNotFound', `A key with (name/id) ${name}${version ? '/' + version : ''} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`);
}
